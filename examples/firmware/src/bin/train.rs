//! See `stackgrad_firmware::programs::train`.
#![cfg_attr(target_os = "none", no_std, no_main)]

stackgrad_firmware::entry!(stackgrad_firmware::programs::train::run);
