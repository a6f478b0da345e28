//! Image data for the trainer: MNIST IDX files (gzip or plain) and UCI optdigits.
//!
//! MNIST: a folder holding `train-images-idx3-ubyte[.gz]` (a full MNIST folder) trains on the
//! 60,000 training images and traces the 10,000 test images. Without training images (as in
//! `../shared/data/mnist/`), the official test set is split with a seeded permutation into a
//! training part and a traced part (by default 7,000 and 3,000).
//!
//! optdigits: `optdigits.tra` (3,823 rows) trains, `optdigits.tes` (1,797 rows) is traced. Each
//! row holds 64 counts in 0..=16 (an 8x8 image) and the class 0..=9.
//!
//! Pixels are scaled to [0, 1]. Every malformed input is a [`DataError`] naming the file and what
//! is wrong with it.

use ndarray::{Array2, Axis};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Number of classes of both digit datasets.
pub const DIGIT_CLASSES: usize = 10;

/// Magic number of an IDX file of unsigned bytes with 3 dimensions (images).
pub const IDX_IMAGES_MAGIC: u32 = 0x0000_0803;
/// Magic number of an IDX file of unsigned bytes with 1 dimension (labels).
pub const IDX_LABELS_MAGIC: u32 = 0x0000_0801;

/// Input data that cannot be used, naming the file.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: not an IDX {what} file: magic number 0x{found:08x}, expected 0x{expected:08x}", path.display())]
    BadMagic {
        path: PathBuf,
        what: &'static str,
        found: u32,
        expected: u32,
    },
    #[error("{}: {message}", path.display())]
    Size { path: PathBuf, message: String },
    #[error("{}: {what} {index}: label {label} is out of range 0..={max}", path.display())]
    Label {
        path: PathBuf,
        what: &'static str,
        index: usize,
        label: u64,
        max: usize,
    },
    #[error("{}: line {line}: column {column}: {message}", path.display())]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{}: {message}", path.display())]
    Missing { path: PathBuf, message: String },
}

/// Labeled images, one per row of `pixels` (row-major `rows x cols` pixels in [0, 1]).
#[derive(Debug, Clone, PartialEq)]
pub struct Images {
    pub pixels: Array2<f32>,
    pub labels: Vec<u8>,
    pub rows: usize,
    pub cols: usize,
}

impl Images {
    pub fn len(&self) -> usize {
        self.labels.len()
    }
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
    /// Features per image (`rows * cols`).
    pub fn features(&self) -> usize {
        self.rows * self.cols
    }
    /// The images at `indices`, in that order.
    pub fn select(&self, indices: &[usize]) -> Images {
        Images {
            pixels: self.pixels.select(Axis(0), indices),
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
            rows: self.rows,
            cols: self.cols,
        }
    }
}

/// A training part and a traced (held-out) part, with a description of where they came from.
#[derive(Debug, Clone)]
pub struct DataSplit {
    pub train: Images,
    pub trace: Images,
    pub classes: usize,
    pub description: String,
}

/// Which dataset to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DatasetKind {
    /// MNIST IDX files (a full folder, or the test set split in two).
    Mnist,
    /// UCI optdigits (`optdigits.tra` and `optdigits.tes`).
    Optdigits,
}

impl splitee_core::named::Named for DatasetKind {
    const VARIANTS: &'static [(Self, &'static str, &'static str)] = &[
        (
            Self::Mnist,
            "mnist",
            "MNIST IDX files (a full folder, or the test set split in two)",
        ),
        (
            Self::Optdigits,
            "optdigits",
            "UCI optdigits (`optdigits.tra` and `optdigits.tes`)",
        ),
    ];
}

splitee_core::display_by_name!(DatasetKind);

/// MNIST without training images: how many test images train, by default.
pub const DEFAULT_TRAIN_SPLIT: usize = 7000;
/// MNIST without training images: how many test images are traced, by default.
pub const DEFAULT_TRACE_SPLIT: usize = 3000;

/// How to obtain the data of a training.
#[derive(Debug, Clone, PartialEq)]
pub struct DataSpec {
    pub kind: DatasetKind,
    /// The dataset's folder.
    pub path: PathBuf,
    /// MNIST without training images: test images used for training.
    pub train: usize,
    /// MNIST without training images: test images traced.
    pub trace: usize,
    /// Seed of the split of the test set.
    pub seed: u64,
}

impl DataSpec {
    /// Reads the data.
    pub fn load(&self) -> Result<DataSplit, DataError> {
        match self.kind {
            DatasetKind::Mnist => load_mnist_folder(&self.path, self.train, self.trace, self.seed),
            DatasetKind::Optdigits => load_optdigits_folder(&self.path),
        }
    }
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> DataError + '_ {
    move |source| DataError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The bytes of a file, decompressed if it is gzip (recognised by its magic bytes, not its name).
fn read_maybe_gzipped(path: &Path) -> Result<Vec<u8>, DataError> {
    let raw = std::fs::read(path).map_err(io_error(path))?;
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::with_capacity(raw.len() * 4);
        flate2::read::MultiGzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .map_err(io_error(path))?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

fn be_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

/// Checks an IDX header (magic and dimensions) and the file's length; returns the dimensions.
fn idx_dims(
    path: &Path,
    bytes: &[u8],
    what: &'static str,
    magic: u32,
    dims: usize,
) -> Result<Vec<usize>, DataError> {
    let header = 4 + 4 * dims;
    if bytes.len() < 4 {
        return Err(DataError::Size {
            path: path.to_path_buf(),
            message: format!(
                "has {} bytes; an IDX {what} file starts with a 4-byte magic number",
                bytes.len()
            ),
        });
    }
    let found = be_u32(bytes, 0);
    if found != magic {
        return Err(DataError::BadMagic {
            path: path.to_path_buf(),
            what,
            found,
            expected: magic,
        });
    }
    if bytes.len() < header {
        return Err(DataError::Size {
            path: path.to_path_buf(),
            message: format!(
                "truncated header: {} bytes, an IDX {what} header has {header}",
                bytes.len()
            ),
        });
    }
    let shape: Vec<usize> = (0..dims)
        .map(|d| be_u32(bytes, 4 + 4 * d) as usize)
        .collect();
    let expected = shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .and_then(|n| n.checked_add(header));
    match expected {
        Some(expected) if expected == bytes.len() => Ok(shape),
        Some(expected) => Err(DataError::Size {
            path: path.to_path_buf(),
            message: format!(
                "{} IDX {what} file: its header announces {} ({expected} bytes) but it has {} bytes",
                if bytes.len() < expected {
                    "truncated"
                } else {
                    "oversized"
                },
                shape
                    .iter()
                    .map(usize::to_string)
                    .collect::<Vec<_>>()
                    .join(" x "),
                bytes.len()
            ),
        }),
        None => Err(DataError::Size {
            path: path.to_path_buf(),
            message: format!("IDX {what} dimensions {shape:?} overflow"),
        }),
    }
}

/// Reads an IDX image file (magic 0x00000803): pixels scaled to [0, 1].
pub fn read_idx_images(path: &Path) -> Result<(Array2<f32>, usize, usize), DataError> {
    let bytes = read_maybe_gzipped(path)?;
    let shape = idx_dims(path, &bytes, "images", IDX_IMAGES_MAGIC, 3)?;
    let (n, rows, cols) = (shape[0], shape[1], shape[2]);
    if n == 0 || rows == 0 || cols == 0 {
        return Err(DataError::Size {
            path: path.to_path_buf(),
            message: format!("holds no images ({n} x {rows} x {cols})"),
        });
    }
    let pixels = bytes[16..].iter().map(|&b| f32::from(b) / 255.0).collect();
    let pixels = Array2::from_shape_vec((n, rows * cols), pixels).map_err(|e| DataError::Size {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    Ok((pixels, rows, cols))
}

/// Reads an IDX label file (magic 0x00000801), checking every label is below `classes`.
pub fn read_idx_labels(path: &Path, classes: usize) -> Result<Vec<u8>, DataError> {
    let bytes = read_maybe_gzipped(path)?;
    idx_dims(path, &bytes, "labels", IDX_LABELS_MAGIC, 1)?;
    let labels = bytes[8..].to_vec();
    if let Some(index) = labels.iter().position(|&l| usize::from(l) >= classes) {
        return Err(DataError::Label {
            path: path.to_path_buf(),
            what: "label",
            index,
            label: u64::from(labels[index]),
            max: classes - 1,
        });
    }
    Ok(labels)
}

/// Reads a pair of IDX files, checking they hold the same number of samples.
pub fn read_idx_pair(images: &Path, labels: &Path) -> Result<Images, DataError> {
    let (pixels, rows, cols) = read_idx_images(images)?;
    let labels_v = read_idx_labels(labels, DIGIT_CLASSES)?;
    if labels_v.len() != pixels.nrows() {
        return Err(DataError::Size {
            path: labels.to_path_buf(),
            message: format!(
                "holds {} labels but {} holds {} images",
                labels_v.len(),
                images.display(),
                pixels.nrows()
            ),
        });
    }
    Ok(Images {
        pixels,
        labels: labels_v,
        rows,
        cols,
    })
}

/// The first existing file among the usual spellings of an MNIST file (`stem` like
/// `train-images` and `kind` like `idx3`).
fn find_mnist_file(dir: &Path, stem: &str, kind: &str) -> Option<PathBuf> {
    [
        format!("{stem}-{kind}-ubyte.gz"),
        format!("{stem}-{kind}-ubyte"),
        format!("{stem}.{kind}-ubyte.gz"),
        format!("{stem}.{kind}-ubyte"),
    ]
    .into_iter()
    .map(|name| dir.join(name))
    .find(|p| p.is_file())
}

/// Loads an MNIST folder: the full training set when present, otherwise a seeded split of the
/// test set into `train` training and `trace` traced images.
pub fn load_mnist_folder(
    dir: &Path,
    train: usize,
    trace: usize,
    seed: u64,
) -> Result<DataSplit, DataError> {
    let missing = |stem: &str| DataError::Missing {
        path: dir.to_path_buf(),
        message: format!("no {stem}-idx*-ubyte[.gz] file in this MNIST folder"),
    };
    let test_images =
        find_mnist_file(dir, "t10k-images", "idx3").ok_or_else(|| missing("t10k-images"))?;
    let test_labels =
        find_mnist_file(dir, "t10k-labels", "idx1").ok_or_else(|| missing("t10k-labels"))?;
    let test = read_idx_pair(&test_images, &test_labels)?;
    if let Some(train_images) = find_mnist_file(dir, "train-images", "idx3") {
        let train_labels =
            find_mnist_file(dir, "train-labels", "idx1").ok_or_else(|| missing("train-labels"))?;
        let train_set = read_idx_pair(&train_images, &train_labels)?;
        let description = format!(
            "MNIST (full folder {}): {} training images, {} test images traced",
            dir.display(),
            train_set.len(),
            test.len()
        );
        return Ok(DataSplit {
            train: train_set,
            trace: test,
            classes: DIGIT_CLASSES,
            description,
        });
    }
    if train == 0 || trace == 0 || train + trace > test.len() {
        return Err(DataError::Size {
            path: test_images,
            message: format!(
                "cannot split {} test images into {train} for training and {trace} to trace \
                 (both must be >= 1 and together at most {})",
                test.len(),
                test.len()
            ),
        });
    }
    let mut order: Vec<usize> = (0..test.len()).collect();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    let description = format!(
        "MNIST test set ({}; no training images in {}), seeded split (seed {seed}): {train} \
         images train, {trace} traced",
        test_images.display(),
        dir.display()
    );
    Ok(DataSplit {
        train: test.select(&order[..train]),
        trace: test.select(&order[train..train + trace]),
        classes: DIGIT_CLASSES,
        description,
    })
}

/// Reads one optdigits file: rows of 64 counts in 0..=16 and a class in 0..=9.
pub fn read_optdigits(path: &Path) -> Result<Images, DataError> {
    let bytes =
        splitee_core::lines::read_bytes(path).map_err(|e| io_error(path)(e.error.into_io()))?;
    let text = String::from_utf8_lossy(&bytes);
    let mut pixels = Vec::new();
    let mut labels = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let parse_error = |column: usize, message: String| DataError::Parse {
            path: path.to_path_buf(),
            line: line_no,
            column,
            message,
        };
        let fields: Vec<&str> = line
            .split([',', '\t', ' '])
            .filter(|f| !f.is_empty())
            .collect();
        if fields.len() != 65 {
            return Err(parse_error(
                fields.len().min(65),
                format!(
                    "has {} values; an optdigits row has 64 pixels and a class",
                    fields.len()
                ),
            ));
        }
        for (c, field) in fields.iter().enumerate() {
            let value: u64 = field.parse().map_err(|_| {
                parse_error(c + 1, format!("{field:?} is not a non-negative integer"))
            })?;
            if c < 64 {
                if value > 16 {
                    return Err(parse_error(
                        c + 1,
                        format!("pixel count {value} is out of range 0..=16"),
                    ));
                }
                pixels.push(value as f32 / 16.0);
            } else {
                if value >= DIGIT_CLASSES as u64 {
                    return Err(DataError::Label {
                        path: path.to_path_buf(),
                        what: "line",
                        index: line_no,
                        label: value,
                        max: DIGIT_CLASSES - 1,
                    });
                }
                labels.push(value as u8);
            }
        }
    }
    if labels.is_empty() {
        return Err(DataError::Size {
            path: path.to_path_buf(),
            message: "holds no samples".into(),
        });
    }
    let n = labels.len();
    Ok(Images {
        pixels: Array2::from_shape_vec((n, 64), pixels).expect("64 pixels per row"),
        labels,
        rows: 8,
        cols: 8,
    })
}

/// Loads the optdigits folder: `optdigits.tra` trains, `optdigits.tes` is traced.
pub fn load_optdigits_folder(dir: &Path) -> Result<DataSplit, DataError> {
    let train = read_optdigits(&dir.join("optdigits.tra"))?;
    let trace = read_optdigits(&dir.join("optdigits.tes"))?;
    let description = format!(
        "UCI optdigits ({}): optdigits.tra, {} samples, trains; optdigits.tes, {} samples, traced",
        dir.display(),
        train.len(),
        trace.len()
    );
    Ok(DataSplit {
        train,
        trace,
        classes: DIGIT_CLASSES,
        description,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idx_header_checks() {
        let path = Path::new("x");
        let mut bytes = vec![0, 0, 8, 1, 0, 0, 0, 3, 1, 2, 3];
        assert_eq!(
            idx_dims(path, &bytes, "labels", IDX_LABELS_MAGIC, 1).unwrap(),
            vec![3]
        );
        bytes.pop();
        let e = idx_dims(path, &bytes, "labels", IDX_LABELS_MAGIC, 1).unwrap_err();
        assert!(e.to_string().contains("truncated IDX labels file"), "{e}");
        let e = idx_dims(path, &bytes, "images", IDX_IMAGES_MAGIC, 3).unwrap_err();
        assert!(
            e.to_string()
                .contains("magic number 0x00000801, expected 0x00000803"),
            "{e}"
        );
    }
}
