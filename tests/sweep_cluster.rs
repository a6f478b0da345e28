//! Sweeps on a cluster: listing grid points, running chosen ones into one file per point,
//! resuming a stopped sweep with --skip-existing, and the two drivers the README documents (a
//! Slurm job array, GNU parallel), each merged into exactly the report of one run.

mod common;

use assert_cmd::cargo::CommandCargoExt;
use common::{manifest, run_ok, splitee};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// The files of a sweep's report folder.
const REPORT_FILES: [&str; 5] = [
    "sweep.json",
    "sweep.csv",
    "sweep.md",
    "curves.csv",
    "config.toml",
];

/// A temporary folder with a synthetic 12-exit trace of `samples` samples and a config sweeping
/// `offloads` offloading costs (one grid point each) with three policies and `runs` runs.
fn synthetic_sweep(samples: usize, offloads: usize, runs: usize) -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("t.csv");
    run_ok(
        splitee()
            .args(["synth", "--exits", "12", "--seed", "3", "--samples"])
            .arg(samples.to_string())
            .arg("--out")
            .arg(&trace),
    );
    let config = dir.path().join("sweep.toml");
    let values: Vec<String> = (0..offloads)
        .map(|i| format!("{}", (i + 1) as f64 / 20.0))
        .collect();
    std::fs::write(
        &config,
        format!(
            "[trace]\npaths = [\"t.csv\"]\n\
             [policy]\nnames = [\"splitee\", \"splitee-s\", \"final-exit\"]\n\
             [run]\nruns = {runs}\n[sweep]\noffload = [{}]\n",
            values.join(", ")
        ),
    )
    .unwrap();
    (dir, config)
}

/// `splitee sweep --config CONFIG ARGS...` on one thread, as a process that can be spawned.
fn sweep(config: &Path, args: &[&str]) -> Command {
    let mut command = Command::cargo_bin("splitee").unwrap();
    command
        .env("RAYON_NUM_THREADS", "1")
        .args(["sweep", "--config"])
        .arg(config)
        .args(args);
    command
}

/// Runs `command`, asserts success (showing its standard error if not) and returns its output.
fn ok(mut command: Command) -> Output {
    let out = command.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs `command`, asserts success and returns its standard output.
fn stdout_of(command: Command) -> String {
    String::from_utf8(ok(command).stdout).unwrap()
}

/// The point files in `dir`, by name.
fn point_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    files.retain(|p| {
        let name = p.file_name().unwrap().to_string_lossy();
        name.starts_with("point-") && name.ends_with(".json")
    });
    files.sort();
    files
}

/// Merges every point file of `points` into `out`, and asserts the result equals the report
/// folder `whole` of one undivided run, file for file and byte for byte.
fn assert_merge_equals(points: &Path, out: &Path, whole: &Path) {
    run_ok(
        splitee()
            .arg("merge")
            .arg("--out")
            .arg(out)
            .args(point_files(points)),
    );
    for file in REPORT_FILES {
        assert_eq!(
            std::fs::read(out.join(file)).unwrap(),
            std::fs::read(whole.join(file)).unwrap(),
            "{file}"
        );
    }
}

/// Runs the whole sweep of `config` into `dir/whole`, the reference for merges.
fn whole_run(dir: &Path, config: &Path) -> PathBuf {
    let whole = dir.join("whole");
    ok(sweep(config, &["--out", whole.to_str().unwrap()]));
    whole
}

#[test]
fn list_points_prints_one_json_line_per_chosen_point() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("s.toml");
    std::fs::write(
        &config,
        "[run]\nruns = 1\n[sweep]\nalpha = [0.6, 0.8]\noffload = [0.2, 0.4]\n",
    )
    .unwrap();
    let listed = stdout_of(sweep(&config, &["--list-points"]));
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 4, "{listed}");
    assert_eq!(
        lines[1],
        "{\"index\":1,\"trace\":[\"embedded:sparsity-mnist-d25\"],\"alpha\":0.6,\
         \"lambda\":0.1,\"mu\":1.0,\"ucb_c\":1.0,\"offload\":0.4,\
         \"costs\":\"linear: lambda 0.1, o 0.4, mu 1\"}"
    );
    let indices = |args: &[&str]| -> Vec<u64> {
        let mut all = vec!["--list-points"];
        all.extend(args);
        stdout_of(sweep(&config, &all))
            .lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["index"]
                    .as_u64()
                    .unwrap()
            })
            .collect()
    };
    assert_eq!(indices(&["--shard", "1/3"]), [1]);
    assert_eq!(indices(&["--points", "3,0-1"]), [0, 1, 3]);
    // A point the grid does not have is refused before anything runs.
    let out = sweep(&config, &["--points", "2-4"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    // After the note that the swept o replaces the embedded trace's cost profile.
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).lines().last(),
        Some("splitee: --points: the grid has no point 4 (it has 4 points, 0-3)")
    );
    let out = sweep(&config, &["--points", "1,x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(
            "`1,x`: points are grid indices and inclusive ranges separated by commas, e.g. 0,3,5-9"
        ),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // --skip-existing needs a folder and a part of the grid to resume.
    let out = sweep(&config, &["--skip-existing", "--points", "1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--out <DIR>"));
}

/// A sweep stopped by a signal midway keeps the points it finished; rerun with --skip-existing
/// it runs only the others, and the merge equals one run byte for byte.
#[test]
fn a_sweep_stopped_midway_resumes_and_merges_into_one_run() {
    let (dir, config) = synthetic_sweep(20_000, 12, 10);
    let points = dir.path().join("points");
    let args = ["--points", "0-11", "--out", points.to_str().unwrap()];
    let mut child = sweep(&config, &args)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while point_files(&points).is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no point finished"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) }, 0);
    let status = child.wait().unwrap();
    assert_eq!(
        status.code(),
        Some(143),
        "the sweep ended before its signal"
    );
    let finished = point_files(&points);
    assert!(finished.len() < 12, "the sweep ended before its signal");
    // Nothing half written is left: only whole point files.
    let names: Vec<PathBuf> = std::fs::read_dir(&points)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(names.len(), finished.len(), "{names:?}");
    let stamp = |p: &PathBuf| {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(p).unwrap();
        (m.ino(), m.mtime_nsec(), m.mtime())
    };
    let before: Vec<_> = finished.iter().map(stamp).collect();

    let mut resume = args.to_vec();
    resume.push("--skip-existing");
    let out = ok(sweep(&config, &resume));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        format!(
            "splitee: note: {} of 12 points already done in {}; running the other {}",
            finished.len(),
            points.display(),
            12 - finished.len()
        )
    );
    // The points done before were kept, not run again.
    assert_eq!(finished.iter().map(stamp).collect::<Vec<_>>(), before);
    assert_eq!(point_files(&points).len(), 12);
    let whole = whole_run(dir.path(), &config);
    assert_merge_equals(&points, &dir.path().join("merged"), &whole);
}

/// A point file made with other settings is never taken as done.
#[test]
fn skip_existing_refuses_a_point_made_with_other_settings() {
    let (dir, config) = synthetic_sweep(200, 2, 2);
    let points = dir.path().join("points");
    let out_dir = points.to_str().unwrap();
    ok(sweep(
        &config,
        &["--points", "0", "--seed", "9", "--out", out_dir],
    ));
    let out = sweep(
        &config,
        &["--points", "0-1", "--out", out_dir, "--skip-existing"],
    )
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        format!(
            "splitee: {}: made with different --seed; remove it to run the point again, or \
             choose another --out",
            points.join("point-0.json").display()
        )
    );
}

/// The Slurm job array script of examples/, run as Slurm runs it: once per array task with
/// SLURM_ARRAY_TASK_ID set; a requeued task finds its points done.
#[test]
fn the_slurm_array_script_runs_the_grid_and_merges_into_one_run() {
    let (dir, config) = synthetic_sweep(300, 5, 3);
    let points = dir.path().join("points");
    let binary = assert_cmd::cargo::cargo_bin("splitee");
    let path = format!(
        "{}:{}",
        binary.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let task = |id: usize| {
        Command::new("bash")
            .arg(manifest().join("examples/slurm-sweep.sbatch"))
            .env("PATH", &path)
            .env("SLURM_ARRAY_TASK_ID", id.to_string())
            .env("SLURM_ARRAY_TASK_MIN", "0")
            .env("SLURM_ARRAY_TASK_COUNT", "2")
            .env("SLURM_CPUS_PER_TASK", "1")
            .env("SWEEP_CONFIG", &config)
            .env("SWEEP_POINTS", &points)
            .output()
            .unwrap()
    };
    for id in 0..2 {
        let out = task(id);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(point_files(&points).len(), 5);
    // Requeued, task 1 finds its points 1 and 3 done.
    let again = task(1);
    assert!(String::from_utf8_lossy(&again.stderr).contains("2 of 2 points already done"));
    let whole = whole_run(dir.path(), &config);
    assert_merge_equals(&points, &dir.path().join("merged"), &whole);
}

/// GNU parallel (Debian's `parallel`) running one grid point per job, two jobs at a time.
#[test]
fn gnu_parallel_with_two_jobs_merges_into_one_run() {
    let gnu = Command::new("parallel")
        .arg("--version")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).starts_with("GNU parallel"));
    if !gnu {
        eprintln!("skipped: GNU parallel is not installed (Debian: apt-get install parallel)");
        return;
    }
    let (dir, config) = synthetic_sweep(300, 6, 3);
    let points = dir.path().join("points");
    let listed = stdout_of(sweep(&config, &["--list-points"]));
    let indices: Vec<String> = (0..listed.lines().count()).map(|i| i.to_string()).collect();
    let binary = assert_cmd::cargo::cargo_bin("splitee");
    let out = Command::new("parallel")
        .env("RAYON_NUM_THREADS", "1")
        .args(["-j", "2", "--halt", "now,fail=1"])
        .arg(&binary)
        .args(["sweep", "--config"])
        .arg(&config)
        .args(["--points", "{}", "--skip-existing", "--out"])
        .arg(&points)
        .arg(":::")
        .args(&indices)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(point_files(&points).len(), 6);
    let whole = whole_run(dir.path(), &config);
    assert_merge_equals(&points, &dir.path().join("merged"), &whole);
}
