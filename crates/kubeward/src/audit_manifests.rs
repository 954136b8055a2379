//! `kubeward audit manifests`: the receiver's deployment and the API server's webhook kubeconfig.

use anyhow::{Result, bail};
use clap::Args;

#[derive(Debug, Args)]
pub struct ManifestsArgs {}

pub fn run(args: ManifestsArgs) -> Result<u8> {
    let _ = args;
    bail!("not implemented yet")
}
