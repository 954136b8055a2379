pub mod etcd_server;
pub mod fixture;
