//! Reads one word an address that faults: the board must fault, report it and leave QEMU
//! with a failure status (run.sh expects exactly that). On the host it only prints.
#![cfg_attr(target_os = "none", no_std, no_main)]

use stackgrad_firmware::{Io, Outcome};

stackgrad_firmware::entry!(run);

fn run(io: &mut dyn Io) -> Outcome {
    let _ = writeln!(io, "reading an address that faults");
    #[cfg(target_os = "none")]
    {
        let past = stackgrad_firmware::board::fault_address();
        // SAFETY: deliberately invalid: the bus faults and the fault handler exits QEMU.
        let v = unsafe { core::ptr::read_volatile(past as *const u32) };
        let _ = writeln!(io, "read {v:#x}: no fault");
        return Err("no fault an address that faults");
    }
    #[cfg(not(target_os = "none"))]
    Err("no RAM end on the host")
}
