//! Helpers shared by the integration tests: where the crate and the shared data are, running
//! the binary, and inputs several test files build.

// Each test crate uses only some of these.
#![allow(dead_code)]

use assert_cmd::Command;
use rand::{RngExt, SeedableRng};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Output;

/// The crate's root folder.
pub fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The shared data folder: `$SPLITEE_SHARED`, by default `../shared` beside the crate.
pub fn shared_dir() -> PathBuf {
    std::env::var_os("SPLITEE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest().join("../shared"))
}

/// A file of the shared data folder, or `None` with a skip notice when it is not there.
pub fn shared_file(relative: &str) -> Option<PathBuf> {
    let path = shared_dir().join(relative);
    if path.is_file() {
        Some(path)
    } else {
        skip_notice(&path);
        None
    }
}

/// The one line of a test skipped for want of `path` of the shared data: what is missing and
/// where it comes from.
pub fn skip_notice(path: &Path) {
    eprintln!(
        "skipping: {} (set SPLITEE_SHARED to the shared folder)",
        splitee::shared_data::unavailable(path)
    );
}

/// A real trace of `data/traces` in the shared folder, or `None` with a skip notice.
pub fn shared_trace(name: &str) -> Option<PathBuf> {
    shared_file(&format!("data/traces/{name}"))
}

/// The policies `experiments/splitee-sst2.toml` names, in its order.
pub const EXAMPLE_CONFIG_POLICIES: [&str; 8] = [
    "splitee",
    "splitee-s:strict",
    "splitee-s:oracle",
    "final-exit",
    "device-ee",
    "random",
    "random-run",
    "best-fixed",
];

/// The crate's binary, to run as a user does.
pub fn splitee() -> Command {
    Command::cargo_bin("splitee").unwrap()
}

/// Runs `cmd`, asserts success (showing its standard error if not) and returns its output.
pub fn run_ok(cmd: &mut Command) -> Output {
    let output = cmd.output().unwrap();
    assert!(
        output.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Runs `cmd`, asserts success and returns its standard output.
pub fn succeed(cmd: &mut Command) -> String {
    String::from_utf8(run_ok(cmd).stdout).unwrap()
}

/// Runs `cmd`, asserts success and parses its standard output as JSON.
pub fn succeed_json(cmd: &mut Command) -> serde_json::Value {
    serde_json::from_slice(&run_ok(cmd).stdout).unwrap()
}

/// Runs `cmd` (a `splitee run ... --json`) with `--decisions` into a temporary file, asserts
/// success, and returns the JSON report and every decision record.
pub fn succeed_with_decisions(cmd: &mut Command) -> (serde_json::Value, Vec<serde_json::Value>) {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("decisions.jsonl");
    let report = succeed_json(cmd.arg("--decisions").arg(&log));
    let decisions = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    (report, decisions)
}

/// Writes a small learnable optdigits folder `data` (created if needed): 300 training and 120
/// test samples of classes 0..4, each lighting its own pair of image rows, with seeded noise.
fn write_synthetic_optdigits(data: &Path) {
    std::fs::create_dir_all(data).unwrap();
    for (file, rows, seed) in [("optdigits.tra", 300, 1), ("optdigits.tes", 120, 2)] {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut text = String::new();
        for _ in 0..rows {
            let class = rng.random_range(0..4u32);
            let pixels: Vec<String> = (0..64u32)
                .map(|p| {
                    let lit = p / 8 == 2 * class || p / 8 == 2 * class + 1;
                    let v = if lit {
                        rng.random_range(9..=16u32)
                    } else {
                        rng.random_range(0..=6u32)
                    };
                    v.to_string()
                })
                .collect();
            text.push_str(&format!("{},{class}\n", pixels.join(",")));
        }
        std::fs::write(data.join(file), text).unwrap();
    }
}

/// Writes a tiny predefined-sparsity study into `dir`: synthetic optdigits data in `dir/data`
/// and the config `dir/study.toml` (returned), training 64,16,16,10 networks with exits after
/// both hidden layers for 4 epochs with seeds 0 and 1. `rest` follows the `[model]` keys: more
/// of them, then the `[[networks]]` and `[output]` sections.
pub fn write_tiny_study(dir: &Path, rest: &str) -> PathBuf {
    write_synthetic_optdigits(&dir.join("data"));
    let config = dir.join("study.toml");
    let head = "[data]\ndataset = \"optdigits\"\npath = \"data\"\n\n[model]\n\
                widths = [64, 16, 16, 10]\nexits = [1, 2]\nepochs = 4\nbatch = 32\n\
                learning_rate = 0.01\nseeds = [0, 1]\n";
    std::fs::write(&config, format!("{head}{rest}")).unwrap();
    config
}

/// The bytes of an `.npy` array: the magic string, `version`, the header length (or
/// `header_len` instead, right or wrong), the header dictionary `dict` padded with spaces to a
/// multiple of 64 bytes and ended by a newline, then `data`.
pub fn npy_bytes(version: (u8, u8), header_len: Option<u32>, dict: &str, data: &[u8]) -> Vec<u8> {
    let (major, minor) = version;
    let len_bytes = if major == 1 { 2 } else { 4 };
    let mut header = dict.as_bytes().to_vec();
    let unpadded = 8 + len_bytes + header.len() + 1;
    header.extend(std::iter::repeat_n(b' ', (64 - unpadded % 64) % 64));
    header.push(b'\n');
    let header_len = header_len.unwrap_or(header.len() as u32);
    let mut out = b"\x93NUMPY".to_vec();
    out.extend([major, minor]);
    if len_bytes == 2 {
        out.extend((header_len as u16).to_le_bytes());
    } else {
        out.extend(header_len.to_le_bytes());
    }
    out.extend(header);
    out.extend(data);
    out
}

/// The CRC-32 a zip entry records.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = flate2::Crc::new();
    crc.update(data);
    crc.sum()
}

/// A zip archive of `(name, contents, deflate)` entries, as `numpy.savez` (stored) or
/// `numpy.savez_compressed` (deflated) writes it.
pub fn zip_archive(entries: &[(String, Vec<u8>, bool)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    // 2020-01-01 00:00.
    let (time, date) = (0u16, ((2020 - 1980) << 9 | 1 << 5 | 1) as u16);
    for (name, data, deflate) in entries {
        let (method, payload) = if *deflate {
            let mut encoder =
                flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
            encoder.write_all(data).unwrap();
            (8u16, encoder.finish().unwrap())
        } else {
            (0u16, data.clone())
        };
        let offset = out.len() as u32;
        let common = |out: &mut Vec<u8>| {
            out.extend(20u16.to_le_bytes()); // version needed
            out.extend(0u16.to_le_bytes()); // flags
            out.extend(method.to_le_bytes());
            out.extend(time.to_le_bytes());
            out.extend(date.to_le_bytes());
            out.extend(crc32(data).to_le_bytes());
            out.extend((payload.len() as u32).to_le_bytes());
            out.extend((data.len() as u32).to_le_bytes());
            out.extend((name.len() as u16).to_le_bytes());
            out.extend(0u16.to_le_bytes()); // extra field length
        };
        out.extend(0x0403_4b50u32.to_le_bytes());
        common(&mut out);
        out.extend(name.as_bytes());
        out.extend(&payload);

        central.extend(0x0201_4b50u32.to_le_bytes());
        central.extend(20u16.to_le_bytes()); // version made by
        common(&mut central);
        central.extend(0u16.to_le_bytes()); // comment length
        central.extend(0u16.to_le_bytes()); // disk
        central.extend(0u16.to_le_bytes()); // internal attributes
        central.extend(0u32.to_le_bytes()); // external attributes
        central.extend(offset.to_le_bytes());
        central.extend(name.as_bytes());
    }
    let central_offset = out.len() as u32;
    out.extend(&central);
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out.extend((entries.len() as u16).to_le_bytes());
    out.extend((entries.len() as u16).to_le_bytes());
    out.extend((central.len() as u32).to_le_bytes());
    out.extend(central_offset.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}
