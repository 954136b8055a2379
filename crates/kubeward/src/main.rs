//! The `kubeward` command: a thin shell over the libraries. `main` parses, runs, and maps the
//! outcome to an exit code: 0 nothing at or above `--fail-on`, 1 findings at or above it,
//! 2 an error (bad flags, bad config, unreadable input).

mod admission_cmd;
mod audit_cmd;
mod audit_manifests;
mod cli;
mod install;
mod netpol_cmd;
mod node_cmd;
mod rbac_cmd;

/// mimalloc: a scan allocates and frees millions of small tree nodes while keeping some
/// objects for snapshot rules; glibc's allocator fragments under that pattern (measured in
/// BENCHMARKS.md).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::run() {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            // A closed pipe (`kubeward scan . | head`) is not an error worth a message.
            if err
                .downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            {
                return ExitCode::from(0);
            }
            eprintln!("kubeward: error: {err:#}");
            ExitCode::from(2)
        }
    }
}
