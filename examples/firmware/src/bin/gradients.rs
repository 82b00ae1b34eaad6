//! See `stackgrad_firmware::programs::gradients`.
#![cfg_attr(target_os = "none", no_std, no_main)]

stackgrad_firmware::entry!(stackgrad_firmware::programs::gradients::run);
