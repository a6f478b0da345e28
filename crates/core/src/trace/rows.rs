//! Samples stored as contiguous fixed-size records, for replay.
//!
//! Shuffled replay visits samples at random, so its speed is set by how many cache lines a
//! sample touches. A record holds everything a decision reads: `[conf × L][pred × L][label]`,
//! padded to 16 bytes in 64-byte aligned storage. With `f32` confidences and fewer than 255
//! classes a 12-exit record is 61 bytes: one cache line.
//!
//! Records start compact (`f32` confidences, `u8` classes) and are rewritten once, wider, when a
//! value needs it: a confidence that `f32` cannot hold exactly (decimals typed by hand, whose
//! rounding the published algorithms are sensitive to) or a class of 255 and more.

use bytemuck::{Pod, Zeroable};

/// One cache line of record storage.
#[derive(Clone, Copy, Pod, Zeroable)]
#[repr(C, align(64))]
struct Line([u8; 64]);

/// Storage of confidences.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Conf {
    F32,
    F64,
}

/// Storage of classes and labels; the largest value marks a missing label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    U8,
    U16,
}

impl Conf {
    fn bytes(self) -> usize {
        match self {
            Conf::F32 => 4,
            Conf::F64 => 8,
        }
    }
    fn holds(self, x: f64) -> bool {
        self == Conf::F64 || f64::from(x as f32) == x
    }
}

impl Class {
    fn bytes(self) -> usize {
        match self {
            Class::U8 => 1,
            Class::U16 => 2,
        }
    }
    fn missing(self) -> u32 {
        match self {
            Class::U8 => u32::from(u8::MAX),
            Class::U16 => u32::from(u16::MAX),
        }
    }
    fn holds(self, class: u32) -> bool {
        class < self.missing()
    }
}

/// Fixed-size sample records.
#[derive(Clone)]
pub(super) struct Rows {
    exits: usize,
    conf: Conf,
    class: Class,
    /// Bytes per record.
    stride: usize,
    len: usize,
    lines: Vec<Line>,
}

impl std::fmt::Debug for Rows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rows")
            .field("exits", &self.exits)
            .field("conf", &self.conf)
            .field("class", &self.class)
            .field("len", &self.len)
            .finish()
    }
}

impl Rows {
    pub(super) fn new(exits: usize) -> Self {
        Self::with_layout(exits, Conf::F32, Class::U8)
    }

    fn with_layout(exits: usize, conf: Conf, class: Class) -> Self {
        let raw = exits * (conf.bytes() + class.bytes()) + class.bytes();
        Self {
            exits,
            conf,
            class,
            stride: raw.div_ceil(16) * 16,
            len: 0,
            lines: Vec::new(),
        }
    }

    pub(super) fn len(&self) -> usize {
        self.len
    }

    pub(super) fn exits(&self) -> usize {
        self.exits
    }

    pub(super) fn is_compact(&self) -> bool {
        self.conf == Conf::F32
    }

    /// Bytes of the records. Reserved capacity beyond them is never touched, so it takes no
    /// memory (it is not released either: shrinking an over-aligned allocation copies it).
    pub(super) fn heap_bytes(&self) -> usize {
        self.lines.len() * 64
    }

    /// Makes room for `additional` more records without reallocating.
    pub(super) fn reserve(&mut self, additional: usize) {
        let lines = ((self.len + additional) * self.stride).div_ceil(64);
        self.lines.reserve(lines.saturating_sub(self.lines.len()));
        advise_huge_pages(self.lines.spare_capacity_mut());
    }

    #[inline]
    fn bytes(&self) -> &[u8] {
        bytemuck::cast_slice(&self.lines)
    }

    #[inline]
    fn start(&self, sample: usize) -> usize {
        sample * self.stride
    }

    #[inline]
    pub(super) fn conf(&self, sample: usize, exit: usize) -> f64 {
        let at = self.start(sample) + exit * self.conf.bytes();
        read_conf(self.conf, &self.bytes()[at..])
    }

    /// Copies the confidences of `sample` into `out` (length `L`).
    #[inline]
    pub(super) fn conf_row(&self, sample: usize, out: &mut [f64]) {
        let at = self.start(sample);
        let bytes = &self.bytes()[at..at + out.len() * self.conf.bytes()];
        // The width is matched once per row, so each loop has a constant stride and vectorises.
        match self.conf {
            Conf::F32 => decode_into(bytes, out, |b| f64::from(f32::from_le_bytes(b))),
            Conf::F64 => decode_into(bytes, out, f64::from_le_bytes),
        }
    }

    #[inline]
    fn class_at(&self, at: usize) -> u32 {
        let b = &self.bytes()[at..];
        match self.class {
            Class::U8 => u32::from(b[0]),
            Class::U16 => u32::from(u16::from_le_bytes([b[0], b[1]])),
        }
    }

    #[inline]
    pub(super) fn pred(&self, sample: usize, exit: usize) -> u32 {
        let at = self.start(sample) + self.exits * self.conf.bytes() + exit * self.class.bytes();
        self.class_at(at)
    }

    #[inline]
    pub(super) fn label(&self, sample: usize) -> Option<u32> {
        let at = self.start(sample) + self.exits * (self.conf.bytes() + self.class.bytes());
        let label = self.class_at(at);
        (label != self.class.missing()).then_some(label)
    }

    /// Hints the CPU to fetch `sample`'s record (both ends: it may straddle two lines).
    #[inline]
    pub(super) fn prefetch(&self, sample: usize) {
        let first = self.start(sample) / 64;
        let last = (self.start(sample) + self.stride - 1) / 64;
        super::prefetch_slot(&self.lines, first);
        if last != first {
            super::prefetch_slot(&self.lines, last);
        }
    }

    /// Appends a record, widening the layout first if a value needs it. Values are validated
    /// by the readers: confidences in `[0, 1]`, classes at most `MAX_CLASS`.
    pub(super) fn push(&mut self, conf: &[f64], pred: &[u32], label: Option<u32>) {
        debug_assert_eq!(conf.len(), self.exits);
        let needs_f64 = !conf.iter().all(|&c| self.conf.holds(c));
        let needs_u16 = !pred.iter().chain(&label).all(|&c| self.class.holds(c));
        if needs_f64 || needs_u16 {
            self.widen(
                if needs_f64 { Conf::F64 } else { self.conf },
                if needs_u16 { Class::U16 } else { self.class },
            );
        }
        let at = self.start(self.len);
        let end_line = (at + self.stride).div_ceil(64);
        if self.lines.capacity() < end_line {
            // Grow geometrically ourselves so the new spare capacity can be advised too.
            self.lines
                .reserve(end_line.max(2 * self.lines.capacity()) - self.lines.len());
            advise_huge_pages(self.lines.spare_capacity_mut());
        }
        if self.lines.len() < end_line {
            self.lines.resize(end_line, Line([0; 64]));
        }
        let (conf_width, class_width) = (self.conf.bytes(), self.class.bytes());
        let (layout_conf, layout_class, exits) = (self.conf, self.class, self.exits);
        let missing = self.class.missing();
        let bytes: &mut [u8] = bytemuck::cast_slice_mut(&mut self.lines);
        let record = &mut bytes[at..at + exits * (conf_width + class_width) + class_width];
        let (conf_part, class_part) = record.split_at_mut(exits * conf_width);
        for (b, &c) in conf_part.chunks_exact_mut(conf_width).zip(conf) {
            match layout_conf {
                Conf::F32 => b.copy_from_slice(&(c as f32).to_le_bytes()),
                Conf::F64 => b.copy_from_slice(&c.to_le_bytes()),
            }
        }
        let classes = pred.iter().copied().chain([label.unwrap_or(missing)]);
        for (b, c) in class_part.chunks_exact_mut(class_width).zip(classes) {
            match layout_class {
                Class::U8 => b[0] = c as u8,
                Class::U16 => b.copy_from_slice(&(c as u16).to_le_bytes()),
            }
        }
        self.len += 1;
    }

    /// Rewrites every record in a wider layout.
    fn widen(&mut self, conf: Conf, class: Class) {
        let mut wider = Self::with_layout(self.exits, conf, class);
        wider.reserve(self.len);
        let (mut c, mut p) = (vec![0.0; self.exits], vec![0; self.exits]);
        for s in 0..self.len {
            self.conf_row(s, &mut c);
            for (k, p) in p.iter_mut().enumerate() {
                *p = self.pred(s, k);
            }
            wider.push(&c, &p, self.label(s));
        }
        *self = wider;
    }
}

/// Asks the kernel to back `spare` (untouched capacity) with transparent huge pages: shuffled
/// replay touches records at random, and with 4 KiB pages nearly every record costs a TLB miss.
fn advise_huge_pages<T>(spare: &mut [std::mem::MaybeUninit<T>]) {
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        let start = spare.as_mut_ptr() as usize;
        let end = start + std::mem::size_of_val(spare);
        let aligned = start.next_multiple_of(HUGE);
        if aligned + HUGE <= end {
            let len = (end - aligned) / HUGE * HUGE;
            // SAFETY: the range lies inside memory this Vec owns; MADV_HUGEPAGE only changes
            // how the kernel backs pages, never their contents, and failure is harmless.
            unsafe {
                libc::madvise(aligned as *mut libc::c_void, len, libc::MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = spare;
}

/// Decodes `W`-byte values from `bytes` into `out`.
#[inline(always)]
fn decode_into<const W: usize>(bytes: &[u8], out: &mut [f64], decode: impl Fn([u8; W]) -> f64) {
    for (o, b) in out.iter_mut().zip(bytes.chunks_exact(W)) {
        *o = decode(b.try_into().expect("chunks of W bytes"));
    }
}

#[inline]
fn read_conf(width: Conf, b: &[u8]) -> f64 {
    match width {
        Conf::F32 => f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        Conf::F64 => f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twelve_exit_compact_record_is_one_cache_line() {
        let rows = Rows::new(12);
        assert_eq!(rows.stride, 64);
    }

    #[test]
    fn widens_confidences_and_classes_keeping_earlier_records() {
        let mut rows = Rows::new(2);
        rows.push(&[0.25, 0.5], &[1, 2], Some(1));
        rows.push(&[0.5, 0.75], &[0, 0], None);
        assert!(rows.is_compact());
        rows.push(&[0.56, 0.1], &[300, 3], Some(299));
        assert!(!rows.is_compact());
        assert_eq!(rows.class, Class::U16);
        assert_eq!(rows.conf(0, 1), 0.5);
        assert_eq!(rows.pred(0, 1), 2);
        assert_eq!(rows.label(0), Some(1));
        assert_eq!(rows.label(1), None);
        assert_eq!(rows.conf(2, 0), 0.56);
        assert_eq!(rows.pred(2, 0), 300);
        assert_eq!(rows.label(2), Some(299));
        let mut row = [0.0; 2];
        rows.conf_row(1, &mut row);
        assert_eq!(row, [0.5, 0.75]);
    }

    #[test]
    fn class_254_fits_compact_and_255_widens() {
        let mut rows = Rows::new(1);
        rows.push(&[0.5], &[254], Some(254));
        assert_eq!(rows.class, Class::U8);
        rows.push(&[0.5], &[255], None);
        assert_eq!(rows.class, Class::U16);
        assert_eq!(rows.pred(0, 0), 254);
        assert_eq!(rows.pred(1, 0), 255);
    }
}
