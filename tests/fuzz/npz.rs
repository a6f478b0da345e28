//! NPZ: archives built by hand, so that every byte of an .npy header can be wrong.

use crate::check::{check_message, check_trace};
use crate::common;
use crate::inputs::{apply_bytes, arb_byte_edit, arb_samples};
use crate::{accepted, fuzz, scratch_dir};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::{select, Index};
use proptest::test_runner::TestCaseResult;
use splitee::trace::{read_npz, Location, Sample};
use std::fmt;
use std::path::Path;

/// One `.npy` array of an archive, with whatever its header should (or should not) say.
#[derive(Debug, Clone)]
struct NpyArray {
    /// Entry name in the archive (`conf.npy`).
    entry: String,
    descr: String,
    fortran: bool,
    shape: Vec<usize>,
    /// Replaces the shape tuple in the header.
    shape_text: Option<String>,
    /// Replaces the whole header dictionary.
    header_text: Option<String>,
    version: (u8, u8),
    /// Replaces the HEADER_LEN field.
    header_len: Option<u32>,
    data: Vec<u8>,
    /// Bytes of the serialised array to flip.
    flips: Vec<(Index, u8)>,
    deflate: bool,
}

fn encode_float(descr: &str, v: f64) -> Option<Vec<u8>> {
    Some(match descr {
        "<f8" => v.to_le_bytes().to_vec(),
        ">f8" => v.to_be_bytes().to_vec(),
        "<f4" => (v as f32).to_le_bytes().to_vec(),
        ">f4" => (v as f32).to_be_bytes().to_vec(),
        _ => return None,
    })
}

fn encode_int(descr: &str, v: i64) -> Option<Vec<u8>> {
    let (width, big) = match descr {
        "<i8" | "<u8" => (8, false),
        ">i8" | ">u8" => (8, true),
        "<i4" | "<u4" => (4, false),
        ">i4" | ">u4" => (4, true),
        "<i2" | "<u2" => (2, false),
        ">i2" | ">u2" => (2, true),
        "|i1" | "|u1" => (1, false),
        _ => return None,
    };
    Some(if big {
        v.to_be_bytes()[8 - width..].to_vec()
    } else {
        v.to_le_bytes()[..width].to_vec()
    })
}

/// The bytes of `value` (a float and an integer reading of it) in `descr`, if it is numeric.
fn encode(descr: &str, value: (f64, i64)) -> Option<Vec<u8>> {
    encode_float(descr, value.0).or_else(|| encode_int(descr, value.1))
}

impl NpyArray {
    fn new(name: &str, descr: &str, shape: Vec<usize>, data: Vec<u8>) -> Self {
        Self {
            entry: format!("{name}.npy"),
            descr: descr.into(),
            fortran: false,
            shape,
            shape_text: None,
            header_text: None,
            version: (1, 0),
            header_len: None,
            data,
            flips: Vec::new(),
            deflate: false,
        }
    }

    fn floats(name: &str, descr: &str, shape: Vec<usize>, values: &[f64]) -> Self {
        let data = values
            .iter()
            .flat_map(|&v| encode_float(descr, v).unwrap())
            .collect();
        Self::new(name, descr, shape, data)
    }

    fn ints(name: &str, descr: &str, shape: Vec<usize>, values: &[i64]) -> Self {
        let data = values
            .iter()
            .flat_map(|&v| encode_int(descr, v).unwrap())
            .collect();
        Self::new(name, descr, shape, data)
    }

    fn bytes(&self) -> Vec<u8> {
        let shape = self
            .shape_text
            .clone()
            .unwrap_or_else(|| match &self.shape[..] {
                [] => "()".into(),
                [n] => format!("({n},)"),
                dims => format!(
                    "({})",
                    dims.iter()
                        .map(usize::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        let dict = self.header_text.clone().unwrap_or_else(|| {
            let fortran = if self.fortran { "True" } else { "False" };
            format!(
                "{{'descr': '{}', 'fortran_order': {fortran}, 'shape': {shape}, }}",
                self.descr
            )
        });
        let mut out = common::npy_bytes(self.version, self.header_len, &dict, &self.data);
        for (at, mask) in &self.flips {
            let i = at.index(out.len());
            out[i] ^= mask;
        }
        out
    }

    fn item_size(&self) -> usize {
        encode(&self.descr, (0.0, 0)).map_or(1, |b| b.len())
    }
}

/// The arrays of a valid archive for `samples`: `conf` and `pred`, or `probs` with `classes`
/// classes; `label` (negative when unlabeled) and `cost` when wanted or present.
fn npz_arrays(
    samples: &[Sample],
    classes: Option<usize>,
    float: &str,
    int: &str,
    with_label: bool,
) -> Vec<NpyArray> {
    let (n, l) = (samples.len(), samples[0].conf.len());
    let mut arrays = Vec::new();
    let class_of = |c: u32| match classes {
        Some(k) => c as usize % k,
        None => c as usize,
    };
    match classes {
        Some(k) => {
            let mut probs = Vec::new();
            for s in samples {
                for e in 0..l {
                    for j in 0..k {
                        let top = j == class_of(s.pred[e]);
                        probs.push(if top { s.conf[e] } else { s.conf[e] * 0.5 });
                    }
                }
            }
            arrays.push(NpyArray::floats("probs", float, vec![n, l, k], &probs));
        }
        None => {
            let conf: Vec<f64> = samples.iter().flat_map(|s| s.conf.clone()).collect();
            let pred: Vec<i64> = samples
                .iter()
                .flat_map(|s| s.pred.iter().map(|&p| i64::from(p)))
                .collect();
            // One-byte integers cannot hold classes of 128 and more.
            let wide = pred.iter().any(|&p| p > 127);
            let int = if wide && int.ends_with('1') {
                "<i8"
            } else {
                int
            };
            arrays.push(NpyArray::floats("conf", float, vec![n, l], &conf));
            arrays.push(NpyArray::ints("pred", int, vec![n, l], &pred));
        }
    }
    if with_label {
        let label: Vec<i64> = samples
            .iter()
            .map(|s| s.label.map_or(-1, |c| class_of(c) as i64))
            .collect();
        arrays.push(NpyArray::ints("label", "<i8", vec![n], &label));
    }
    if samples[0].cost.is_some() {
        let cost: Vec<f64> = samples
            .iter()
            .flat_map(|s| s.cost.clone().unwrap())
            .collect();
        arrays.push(NpyArray::floats("cost", "<f8", vec![n, l], &cost));
    }
    arrays
}

/// The samples an archive made by [`npz_arrays`] holds: confidences rounded to `f32` if stored
/// so, classes of `probs` taken modulo its width (class 0 when all probabilities are 0).
fn npz_samples(
    samples: &[Sample],
    classes: Option<usize>,
    f32_conf: bool,
    with_label: bool,
) -> Vec<Sample> {
    let round = |c: f64| if f32_conf { f64::from(c as f32) } else { c };
    let class_of = |c: u32| classes.map_or(c, |k| c % k as u32);
    samples
        .iter()
        .map(|s| Sample {
            context: None,
            arrival: None,
            conf: s.conf.iter().map(|&c| round(c)).collect(),
            pred: s
                .conf
                .iter()
                .zip(&s.pred)
                .map(|(&c, &p)| match classes {
                    Some(_) if round(c) == 0.0 => 0,
                    _ => class_of(p),
                })
                .collect(),
            label: s.label.filter(|_| with_label).map(class_of),
            cost: s.cost.clone(),
        })
        .collect()
}

#[derive(Debug, Clone)]
enum NpzEdit {
    Descr(Index, String),
    Shape(Index, Index),
    Fortran(Index),
    HeaderText(Index, String),
    Version(Index, (u8, u8)),
    HeaderLen(Index, u32),
    TruncateData(Index, Index),
    ExtraData(Index, Vec<u8>),
    SetValue(Index, Index, (f64, i64)),
    Rename(Index, String),
    Drop(Index),
    Duplicate(Index),
    Flip(Index, Index, u8),
    Deflate(Index),
}

/// Shapes that disagree with the data or with each other, overflow, or are not shapes.
fn shape_variants(shape: &[usize]) -> Vec<String> {
    let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
    let product: usize = shape.iter().product();
    let mut reversed = dims.clone();
    reversed.reverse();
    vec![
        "()".into(),
        format!("({product},)"),
        format!("({}, 1)", dims.join(", ")),
        format!("(1, {})", dims.join(", ")),
        format!("({}, )", reversed.join(", ")),
        "(0, 2)".into(),
        "(2, 0)".into(),
        "(0,)".into(),
        "(0, 0, 0)".into(),
        "(0, 9223372036854775808)".into(),
        "(0, 18446744073709551615, 2)".into(),
        "(9223372036854775807, 0)".into(),
        "(1099511627776,)".into(),
        "(4294967296, 4294967296)".into(),
        "(1099511627776, 2)".into(),
        "(3, 1099511627776, 4)".into(),
        "(2305843009213693952,)".into(),
        "(-1, 2)".into(),
        "(2.5,)".into(),
        format!("[{}]", dims.join(", ")),
        format!("({}", dims.join(", ")),
        "None".into(),
        "'x'".into(),
        "(True,)".into(),
        "(3, 2, 1, 1, 1, 1, 1, 1)".into(),
        "(99999999999999999999999,)".into(),
        format!("{}{}", "(".repeat(200), ")".repeat(200)),
    ]
}

fn arb_npz_edit() -> impl Strategy<Value = NpzEdit> {
    let descr = select(vec![
        "<f8",
        "<f4",
        ">f8",
        ">f4",
        "<f2",
        "<i8",
        "<i4",
        "<i2",
        "|i1",
        "|u1",
        "<u2",
        "<u4",
        "<u8",
        ">i8",
        "|b1",
        "<c16",
        "<U4",
        "|S3",
        "|O",
        "<M8[ns]",
        "f8",
        "<f16",
        "",
        "[('a', '<f8')]",
    ])
    .prop_map(String::from);
    let header = prop_oneof![
        4 => select(vec![
            String::new(),
            "{}".into(),
            "{'descr': '<f8'}".into(),
            "{'descr': '<f8', 'fortran_order': False}".into(),
            "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'extra': 1}".into(),
            "{'descr': '<f8', 'fortran_order': 0, 'shape': (1,)}".into(),
            "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'descr': '<i8'}".into(),
            "{'descr': b'<f8', 'fortran_order': False, 'shape': (1,)}".into(),
            "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }".into(),
            "{'descr': 'é', 'fortran_order': False, 'shape': (1,)}".into(),
            "[]".into(),
            "None".into(),
            "{".into(),
            "(".repeat(30_000),
            format!("{}{}", "[".repeat(20_000), "]".repeat(20_000)),
            "{'a': ".repeat(3000),
        ]),
        1 => "[ -~]{0,40}",
    ];
    let version = select(vec![
        (1, 0),
        (2, 0),
        (3, 0),
        (0, 0),
        (4, 0),
        (1, 1),
        (255, 255),
    ]);
    let header_len = prop_oneof![
        select(vec![
            0u32,
            1,
            10,
            63,
            64,
            65535,
            65536,
            1 << 20,
            1 << 30,
            u32::MAX
        ]),
        any::<u32>(),
    ];
    let value = select(vec![
        (f64::NAN, -1),
        (f64::INFINITY, i64::MAX),
        (f64::NEG_INFINITY, i64::MIN),
        (-1.0, 65535),
        (1.5, 65534),
        (1e300, 255),
        (-0.0, 256),
        (0.5, 4_294_967_296),
    ]);
    let entry = select(vec![
        "conf",
        "conf.npy",
        "pred.npy",
        "label.npy",
        "cost.npy",
        "probs.npy",
        "x.npy",
        "",
        ".npy",
        "conf/x.npy",
        "CONF.npy",
        "../conf.npy",
        "conf.npy.npy",
        "pred",
    ])
    .prop_map(String::from);
    prop_oneof![
        2 => (any::<Index>(), descr).prop_map(|(a, d)| NpzEdit::Descr(a, d)),
        3 => (any::<Index>(), any::<Index>()).prop_map(|(a, s)| NpzEdit::Shape(a, s)),
        1 => any::<Index>().prop_map(NpzEdit::Fortran),
        1 => (any::<Index>(), header).prop_map(|(a, h)| NpzEdit::HeaderText(a, h)),
        1 => (any::<Index>(), version).prop_map(|(a, v)| NpzEdit::Version(a, v)),
        1 => (any::<Index>(), header_len).prop_map(|(a, l)| NpzEdit::HeaderLen(a, l)),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, at)| NpzEdit::TruncateData(a, at)),
        1 => (any::<Index>(), vec(any::<u8>(), 1..16)).prop_map(|(a, b)| NpzEdit::ExtraData(a, b)),
        3 => (any::<Index>(), any::<Index>(), value).prop_map(|(a, i, v)| NpzEdit::SetValue(a, i, v)),
        1 => (any::<Index>(), entry).prop_map(|(a, e)| NpzEdit::Rename(a, e)),
        1 => any::<Index>().prop_map(NpzEdit::Drop),
        1 => any::<Index>().prop_map(NpzEdit::Duplicate),
        1 => (any::<Index>(), any::<Index>(), 1u8..=255).prop_map(|(a, i, m)| NpzEdit::Flip(a, i, m)),
        1 => any::<Index>().prop_map(NpzEdit::Deflate),
    ]
}

fn apply_npz(arrays: &mut Vec<NpyArray>, edit: &NpzEdit) {
    if arrays.is_empty() {
        return;
    }
    let n = arrays.len();
    let pick = |i: &Index| i.index(n);
    match edit {
        NpzEdit::Drop(a) => {
            arrays.remove(pick(a));
        }
        NpzEdit::Duplicate(a) => {
            let a = pick(a);
            arrays.insert(a, arrays[a].clone());
        }
        NpzEdit::Descr(a, descr) => arrays[pick(a)].descr = descr.clone(),
        NpzEdit::Shape(a, s) => {
            let array = &mut arrays[pick(a)];
            let variants = shape_variants(&array.shape);
            array.shape_text = Some(variants[s.index(variants.len())].clone());
        }
        NpzEdit::Fortran(a) => {
            let array = &mut arrays[pick(a)];
            array.fortran = !array.fortran;
        }
        NpzEdit::HeaderText(a, text) => arrays[pick(a)].header_text = Some(text.clone()),
        NpzEdit::Version(a, v) => arrays[pick(a)].version = *v,
        NpzEdit::HeaderLen(a, len) => arrays[pick(a)].header_len = Some(*len),
        NpzEdit::TruncateData(a, at) => {
            let data = &mut arrays[pick(a)].data;
            data.truncate(at.index(data.len().max(1)));
        }
        NpzEdit::ExtraData(a, bytes) => arrays[pick(a)].data.extend(bytes),
        NpzEdit::SetValue(a, i, value) => {
            let array = &mut arrays[pick(a)];
            let size = array.item_size();
            let items = array.data.len() / size;
            if let (Some(bytes), true) = (encode(&array.descr, *value), items > 0) {
                let at = i.index(items) * size;
                array.data[at..at + size].copy_from_slice(&bytes);
            }
        }
        NpzEdit::Rename(a, entry) => arrays[pick(a)].entry = entry.clone(),
        NpzEdit::Flip(a, i, mask) => arrays[pick(a)].flips.push((*i, *mask)),
        NpzEdit::Deflate(a) => {
            let array = &mut arrays[pick(a)];
            array.deflate = !array.deflate;
        }
    }
}

/// An `.npz` file: bytes, and for an unmutated archive the samples it holds.
#[derive(Clone)]
pub(crate) struct Archive {
    pub(crate) bytes: Vec<u8>,
    pub(crate) expected: Option<Vec<Sample>>,
    /// How it was made, for failure reports.
    description: String,
}

impl fmt::Debug for Archive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.description)
    }
}

pub(crate) fn arb_structured_npz(max_edits: usize) -> impl Strategy<Value = Archive> {
    (
        arb_samples(),
        option::of(1usize..=4),
        select(vec!["<f8", "<f4", ">f8", ">f4"]),
        select(vec!["<i8", "<i4", "<i2", "|u1", "|i1", "<u2", "<u4", "<u8", ">i8", ">i4"]),
        any::<bool>(),
        any::<bool>(),
        vec(arb_npz_edit(), 0..=max_edits),
        vec(arb_byte_edit(), 0..=max_edits.min(1)),
    )
        .prop_map(
            |(samples, classes, float, int, with_label, deflate, edits, byte_edits)| {
                let mut arrays = npz_arrays(&samples, classes, float, int, with_label);
                for array in &mut arrays {
                    array.deflate = deflate;
                }
                for edit in &edits {
                    apply_npz(&mut arrays, edit);
                }
                let entries: Vec<(String, Vec<u8>, bool)> = arrays
                    .iter()
                    .map(|a| (a.entry.clone(), a.bytes(), a.deflate))
                    .collect();
                let mut bytes = common::zip_archive(&entries);
                for edit in &byte_edits {
                    apply_bytes(&mut bytes, edit);
                }
                let valid = edits.is_empty() && byte_edits.is_empty();
                let expected = valid.then(|| {
                    npz_samples(&samples, classes, float.ends_with('4'), with_label)
                });
                let description = format!(
                    "{} samples x {} exits, classes {classes:?}, {float}/{int}, label {with_label}, \
                     edits {edits:?}, byte edits {byte_edits:?}, arrays {:?}",
                    samples.len(),
                    samples[0].conf.len(),
                    arrays
                        .iter()
                        .map(|a| (&a.entry, &a.descr, &a.shape_text, &a.header_text))
                        .collect::<Vec<_>>()
                );
                Archive {
                    bytes,
                    expected,
                    description,
                }
            },
        )
}

fn arb_npz() -> impl Strategy<Value = Archive> {
    let name =
        select(vec!["conf.npy", "pred.npy", "probs.npy", "label.npy", "x"]).prop_map(String::from);
    prop_oneof![
        1 => vec(any::<u8>(), 0..512).prop_map(|bytes| Archive {
            description: format!("raw {bytes:?}"),
            bytes,
            expected: None,
        }),
        1 => vec((name, vec(any::<u8>(), 0..128), any::<bool>()), 0..4).prop_map(|entries| Archive {
            bytes: common::zip_archive(&entries),
            expected: None,
            description: format!("entries {entries:?}"),
        }),
        8 => arb_structured_npz(3),
    ]
}

fn check_npz(path: &Path, archive: &Archive) -> TestCaseResult {
    std::fs::write(path, &archive.bytes).unwrap();
    match read_npz(path) {
        Ok(trace) => {
            accepted();
            check_trace(&trace)?;
            if let Some(expected) = &archive.expected {
                let samples: Vec<Sample> = (0..trace.samples()).map(|s| trace.sample(s)).collect();
                prop_assert_eq!(&samples, expected);
            }
        }
        Err(e) => {
            let message = e.to_string();
            prop_assert!(
                archive.expected.is_none(),
                "a valid archive was rejected: {message}"
            );
            check_message(&message, &path.display().to_string())?;
            prop_assert!(
                !matches!(e.location, Some(Location::Line(_))),
                "an archive has no lines: {message}"
            );
        }
    }
    Ok(())
}

#[test]
fn fuzz_npz() {
    let dir = scratch_dir();
    let path = dir.path().join("fuzz.npz");
    fuzz("npz", 10_000, arb_npz(), |archive| {
        check_npz(&path, &archive)
    });
}
