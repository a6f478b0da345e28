//! The data the project reads but does not hold: the real traces and datasets laid out in
//! `shared/data/` beside a checkout, and the ElasticBERT traces converted into
//! `datasets/elasticbert/`. Where each comes from, so that whatever skips or refuses work for
//! want of one says in its one line what is missing and where to get it (the README's Data
//! section has the full provenance).

use std::path::Path;

/// The public source of each file or folder, by the end of its path as laid out.
const SOURCES: [(&str, &str); 6] = [
    (
        "data/traces/sst2-bert12.csv",
        "GitHub Div290/Buffer_based_threshold, commit 69cc98b, csv_files/df.csv (converted to \
         the wide CSV)",
    ),
    (
        "data/traces/cifar10-mobilenet2.csv",
        "GitHub Div290/Buffer_based_threshold, commit 69cc98b, EE_buffers_priorities_cifar10/\
         inf_data_ee_mobilenet_1_branches_crescent_id_3_laptop_cifar10.csv (seconds converted \
         to ms)",
    ),
    (
        "data/mnist",
        "the official MNIST IDX archives (the copy used: GitHub \
         h-poincare/Neural-Network-from-Scratch, commit a278e0d, data/*.gz)",
    ),
    (
        "data/optdigits",
        "UCI ML Repository dataset #80, optdigits.tra and optdigits.tes (the copy used: GitHub \
         vishalburri/BACKPROPAGATION-NN, commit 3b89fb7)",
    ),
    (
        "data/text",
        "GitHub Div290/Buffer_based_threshold, commit 69cc98b (shared/data/text/PROVENANCE.md)",
    ),
    (
        "datasets/elasticbert",
        "the published SplitEE code's confidence_label_dict.pkl, converted as the README shows \
         (Sweeps, shards and the SplitEE reproductions)",
    ),
];

/// Where the file or folder at `path` comes from, when it is one of the project's external
/// data (`path` may be relative, `$SPLITEE_SHARED`-based or anywhere under those folders).
pub fn source_of(path: &Path) -> Option<&'static str> {
    let text = path.to_string_lossy().replace('\\', "/");
    SOURCES
        .iter()
        .find(|(key, _)| text.ends_with(key) || text.contains(&format!("{key}/")))
        .map(|&(_, source)| source)
}

/// `PATH is not available`, and where it comes from when that is known.
pub fn unavailable(path: &Path) -> String {
    match source_of(path) {
        Some(source) => format!(
            "{} is not available; it comes from {source}",
            path.display()
        ),
        None => format!("{} is not available", path.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_and_folders_are_found_by_the_end_of_their_path() {
        let sst2 = source_of(Path::new("../shared/data/traces/sst2-bert12.csv")).unwrap();
        assert!(sst2.contains("csv_files/df.csv"), "{sst2}");
        let mnist = source_of(Path::new("/x/shared/data/mnist/t10k-images-idx3-ubyte.gz"));
        assert!(mnist.unwrap().starts_with("the official MNIST"));
        assert_eq!(
            source_of(Path::new("../../shared/data/optdigits")),
            Some(SOURCES[3].1)
        );
        assert_eq!(
            source_of(Path::new("datasets/elasticbert/imdb.npz")),
            Some(SOURCES[5].1)
        );
        assert_eq!(source_of(Path::new("my/data/mnistish.csv")), None);
        assert_eq!(
            unavailable(Path::new("nowhere.npz")),
            "nowhere.npz is not available"
        );
        assert!(unavailable(Path::new("shared/data/text/imdb"))
            .starts_with("shared/data/text/imdb is not available; it comes from GitHub"));
    }
}
