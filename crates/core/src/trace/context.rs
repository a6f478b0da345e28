//! The `context` column of a trace: each sample's condition (a distortion level, a device, a
//! domain) as a short label. Labels are stored as dense indices in the order they first appear,
//! with their names kept for reports.

use std::collections::HashMap;

/// Most distinct contexts a trace may name: a context is a condition a learner is kept for,
/// not a sample id.
pub const MAX_CONTEXTS: usize = 4096;

/// Every sample's context, as an index into the names in order of first appearance.
#[derive(Debug, Clone, Default)]
pub struct Contexts {
    indices: Vec<u32>,
    names: Vec<String>,
    lookup: HashMap<String, u32>,
}

impl Contexts {
    /// The index of `name`, adding it if new.
    fn intern(&mut self, name: &str) -> u32 {
        if let Some(&index) = self.lookup.get(name) {
            return index;
        }
        let index = self.names.len() as u32;
        self.names.push(name.to_string());
        self.lookup.insert(name.to_string(), index);
        index
    }

    /// Appends a sample of context `name`.
    pub(crate) fn push(&mut self, name: &str) {
        let index = self.intern(name);
        self.indices.push(index);
    }

    pub(crate) fn reserve(&mut self, samples: usize) {
        self.indices.reserve(samples);
    }

    /// The context index of `sample`.
    #[inline]
    pub fn index(&self, sample: usize) -> usize {
        self.indices[sample] as usize
    }

    /// The context label of `sample`.
    #[inline]
    pub fn name_of(&self, sample: usize) -> &str {
        &self.names[self.index(sample)]
    }

    /// The labels, in order of first appearance (index order).
    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.indices.capacity() * 4 + self.names.iter().map(|n| 2 * n.capacity()).sum::<usize>()
    }
}
