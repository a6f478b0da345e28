//! splitee: learn online, without labels, where to split an early-exit network between an edge
//! device and the cloud, and when a sample may exit on the device.

pub mod trace;
