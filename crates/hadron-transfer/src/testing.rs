//! Test fixtures (feature `testing`): a Maildir++ tree written by Dovecot
//! 2.3 (three folders with keywords and an expunge gap in INBOX, an empty
//! folder, a message still in `new/`, subscriptions), for the tests of this
//! crate and of the ones that import with it.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Copies the Dovecot tree to `dir/Maildir` and gives its files the
/// modification times Dovecot gave them (git keeps no times; they are the
/// INTERNALDATEs, listed in `tests/data/dovecot-maildir.mtimes`). Returns
/// the tree's root. Panics on any I/O error: it is for tests.
pub fn dovecot_tree(dir: &Path) -> PathBuf {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let root = dir.join("Maildir");
    copy_tree(&data.join("dovecot-maildir"), &root);
    let mtimes = std::fs::read_to_string(data.join("dovecot-maildir.mtimes"))
        .expect("reading the fixture's modification times");
    for line in mtimes.lines().filter(|l| !l.starts_with('#')) {
        let (mtime, file) = line.split_once(' ').expect("`SECONDS PATH` lines");
        let seconds: u64 = mtime.parse().expect("seconds");
        std::fs::File::options()
            .write(true)
            .open(root.join(file))
            .and_then(|f| f.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(seconds)))
            .unwrap_or_else(|e| panic!("{file}: {e}"));
    }
    root
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("creating a fixture directory");
    for entry in std::fs::read_dir(from).expect("reading the fixture") {
        let entry = entry.expect("reading the fixture");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copying a fixture file");
        }
    }
}
