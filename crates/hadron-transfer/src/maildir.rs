//! Maildir++ trees as Dovecot and Courier write them.
//!
//! The root directory is INBOX; every other folder is a directory `.A.B`
//! beside `cur/`, `new/` and `tmp/` (the folder `A/B`; each level in
//! modified UTF-7). A message is one file in `cur/` (seen by a client,
//! named `BASE:2,FLAGS`) or `new/` (just delivered, no flags); its
//! modification time is its INTERNALDATE. Flag letters: `D` draft, `F`
//! flagged, `P` passed (kept as the `$Forwarded` keyword), `R` replied, `S`
//! seen, `T` trashed (`\Deleted`), and `a`–`z` the keywords of the folder's
//! `dovecot-keywords` file (`INDEX NAME` lines). Dovecot's `dovecot-uidlist`
//! (`3 V<uidvalidity> N<next uid> …`, then `UID [FIELDS] :BASE` lines) gives
//! each file its UID, and the root's `subscriptions` file (`V\t2`, a blank
//! line, then one name per line with TAB between levels) the subscribed
//! folders. Courier's `courierimapuiddb` (the version-1 form of the same
//! list) is read where there is no `dovecot-uidlist`; Courier's keyword
//! directory is not. Everything else in the tree (Dovecot's index files) is
//! ignored.

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use hadron_proto::types::{Flag, utf7};
use hadron_state::flags::{FlagSet, SystemFlags};

use crate::{Result, TransferError};

/// The keyword a `P` (passed: resent, forwarded or bounced) flag letter becomes.
pub const PASSED_KEYWORD: &str = "$Forwarded";

/// The system flags' letters in a file name's info, in ASCII order (the
/// order Maildir writes them in).
const FLAG_LETTERS: [(char, SystemFlags); 5] = [
    ('D', SystemFlags::DRAFT),
    ('F', SystemFlags::FLAGGED),
    ('R', SystemFlags::ANSWERED),
    ('S', SystemFlags::SEEN),
    ('T', SystemFlags::DELETED),
];

/// The most keywords a folder's file names can carry (`a`–`z`).
pub const MAX_KEYWORDS: usize = 26;

/// A Maildir++ tree, read by [`Tree::open`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tree {
    /// Its root directory (INBOX).
    pub root: PathBuf,
    /// Its folders, INBOX first, then by name.
    pub folders: Vec<Folder>,
    /// The subscribed folder names (UTF-8, `/` between levels).
    pub subscriptions: Vec<String>,
}

/// One folder of a [`Tree`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folder {
    /// Its mailbox name: `INBOX`, or the UTF-8 name with `/` between levels.
    pub name: String,
    /// Its directory.
    pub dir: PathBuf,
    /// Its `dovecot-uidlist`, when it has one.
    pub uidlist: Option<UidList>,
    /// Its keywords by letter (`a` is index 0), from `dovecot-keywords`.
    pub keywords: Vec<Option<String>>,
}

/// A message file of a [`Folder`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The file.
    pub path: PathBuf,
    /// Its flags and keywords.
    pub flags: FlagSet,
    /// Its UID in the folder's `dovecot-uidlist`, if listed.
    pub uid: Option<u32>,
    /// Its modification time (the INTERNALDATE), Unix seconds.
    pub mtime: i64,
    /// Its size in bytes (LF line ends, as in the file).
    pub size: u64,
}

/// A folder's `dovecot-uidlist`: its UIDVALIDITY, next UID and the UID of
/// each file by base name (the name before `:2,`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UidList {
    /// UIDVALIDITY.
    pub uidvalidity: u32,
    /// The next UID to give: the header's, or one above the highest listed
    /// when that is higher (Dovecot rewrites the header only now and then).
    pub next_uid: u32,
    uids: HashMap<String, u32>,
}

impl UidList {
    /// Parses a `dovecot-uidlist` (version 1 `1 V N` or version 3
    /// `3 V<v> N<n> …` header). Lines that do not parse are skipped.
    pub fn parse(text: &str) -> Result<UidList, String> {
        let mut lines = text.lines();
        let header = lines.next().ok_or("empty uidlist")?;
        let fields: Vec<&str> = header.split_ascii_whitespace().collect();
        let number = |s: &str| {
            s.parse::<u32>()
                .map_err(|_| format!("bad header {header:?}"))
        };
        let (uidvalidity, mut next_uid) = match fields.as_slice() {
            ["1", v, n, ..] => (number(v)?, number(n)?),
            ["2" | "3", rest @ ..] => {
                let field = |key: char| {
                    rest.iter()
                        .find_map(|f| f.strip_prefix(key))
                        .map(number)
                        .transpose()
                };
                (
                    field('V')?.ok_or_else(|| format!("no UIDVALIDITY in {header:?}"))?,
                    field('N')?.unwrap_or(1),
                )
            }
            _ => return Err(format!("unknown uidlist version in {header:?}")),
        };
        if uidvalidity == 0 {
            return Err("UIDVALIDITY 0".into());
        }
        let mut uids = HashMap::new();
        for line in lines {
            // `UID [FIELDS] :BASE` (version 3) or `UID BASE` (version 1).
            let Some((uid, rest)) = line.split_once(' ') else {
                continue;
            };
            let Ok(uid) = uid.parse::<u32>() else {
                continue;
            };
            let base = match rest.find(':') {
                Some(i) => &rest[i + 1..],
                None => rest.rsplit(' ').next().unwrap_or(rest),
            };
            if uid == 0 || base.is_empty() {
                continue;
            }
            next_uid = next_uid.max(uid.saturating_add(1));
            uids.insert(base.to_owned(), uid);
        }
        Ok(UidList {
            uidvalidity,
            next_uid,
            uids,
        })
    }

    /// The UID of the file with base name `base`.
    pub fn uid_of(&self, base: &str) -> Option<u32> {
        self.uids.get(base).copied()
    }

    /// How many files it lists.
    pub fn len(&self) -> usize {
        self.uids.len()
    }

    /// Whether it lists no file.
    pub fn is_empty(&self) -> bool {
        self.uids.is_empty()
    }
}

/// Parses `dovecot-keywords` (`INDEX NAME` lines) into names by index.
pub fn parse_keywords(text: &str) -> Vec<Option<String>> {
    let mut out: Vec<Option<String>> = Vec::new();
    for line in text.lines() {
        let Some((i, name)) = line.split_once(' ') else {
            continue;
        };
        let Ok(i) = i.parse::<usize>() else { continue };
        if i >= MAX_KEYWORDS || name.is_empty() {
            continue;
        }
        if out.len() <= i {
            out.resize(i + 1, None);
        }
        out[i] = Some(name.to_owned());
    }
    out
}

/// A file's base name (before `:2,` or the `;2,` some systems use) and its
/// info (the flag letters), if it has any.
pub fn split_file_name(name: &str) -> (&str, Option<&str>) {
    for sep in [":2,", ";2,"] {
        if let Some(i) = name.rfind(sep) {
            return (&name[..i], Some(&name[i + sep.len()..]));
        }
    }
    match name.find(':') {
        Some(i) => (&name[..i], None),
        None => (name, None),
    }
}

/// The flags of a file's info letters, with `keywords` by letter.
pub fn flags_of_info(info: &str, keywords: &[Option<String>]) -> FlagSet {
    let mut flags = FlagSet::default();
    for c in info.chars() {
        let system = match c {
            'P' => {
                if let Ok(k) = Flag::keyword(PASSED_KEYWORD) {
                    flags.insert(k);
                }
                continue;
            }
            'a'..='z' => {
                let name = keywords
                    .get(c as usize - 'a' as usize)
                    .and_then(Option::as_deref);
                if let Some(k) = name.and_then(|n| Flag::keyword(n).ok()) {
                    flags.insert(k.into_static());
                }
                continue;
            }
            _ => match FLAG_LETTERS.iter().find(|(letter, _)| *letter == c) {
                Some(&(_, flag)) => flag,
                None => continue,
            },
        };
        flags.system = flags.system.union(system);
    }
    flags
}

/// The info letters of `flags` (ASCII order, as Maildir asks), adding
/// keywords to `keywords` as needed; keywords beyond the 26 letters are
/// returned apart (a file name cannot carry them).
pub fn info_of_flags(flags: &FlagSet, keywords: &mut Vec<Option<String>>) -> (String, Vec<String>) {
    let mut letters: Vec<char> = FLAG_LETTERS
        .iter()
        .filter(|(_, flag)| flags.system.contains(*flag))
        .map(|(c, _)| *c)
        .collect();
    let mut lost = Vec::new();
    for k in &flags.keywords {
        let Flag::Keyword(atom) = k else { continue };
        let name = atom.as_str();
        let index = match keywords.iter().position(|n| n.as_deref() == Some(name)) {
            Some(i) => Some(i),
            None if keywords.len() < MAX_KEYWORDS => {
                keywords.push(Some(name.to_owned()));
                Some(keywords.len() - 1)
            }
            None => None,
        };
        match index {
            Some(i) => letters.push((b'a' + i as u8) as char),
            None => lost.push(name.to_owned()),
        }
    }
    letters.sort_unstable();
    (letters.into_iter().collect(), lost)
}

/// The mailbox name of a Maildir++ folder directory name (`.A.B` → `A/B`,
/// each level decoded from modified UTF-7).
pub fn folder_name(dir_name: &str) -> Result<String, String> {
    let levels = dir_name
        .strip_prefix('.')
        .ok_or_else(|| format!("{dir_name:?} is not a Maildir++ folder"))?;
    if levels.is_empty() || levels.split('.').any(str::is_empty) {
        return Err(format!("{dir_name:?} has an empty level"));
    }
    let decoded = utf7::decode(levels.as_bytes()).map_err(|e| format!("{dir_name:?}: {e}"))?;
    let name = decoded.replace('.', "/");
    Ok(if name.eq_ignore_ascii_case("inbox") {
        "INBOX".into()
    } else {
        name
    })
}

/// The Maildir++ directory name of a mailbox name (`A/B` → `.A.B`), or why
/// it has none (a `.` in a level, which Maildir++ uses between levels).
pub fn folder_dir_name(name: &str) -> Result<String, String> {
    if name.contains('.') {
        return Err(format!(
            "mailbox {name:?} has a '.', which Maildir++ uses between levels"
        ));
    }
    Ok(format!(".{}", utf7::encode(name).replace('/', ".")))
}

fn read_text(path: &Path) -> Result<Option<String>> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(TransferError::io(path)(e)),
    }
}

/// Parses the root's `subscriptions` file: Dovecot's version 2 (`V\t2`, a
/// blank line, names with TAB between levels) or one name per line.
pub fn parse_subscriptions(text: &str) -> Vec<String> {
    let mut lines = text.lines().peekable();
    let separator = if lines.peek() == Some(&"V\t2") {
        lines.next();
        '\t'
    } else {
        '.'
    };
    lines
        .filter(|l| !l.is_empty())
        .filter_map(|l| {
            let joined = l.replace(separator, "/");
            let name = utf7::decode(joined.as_bytes()).ok()?;
            Some(if name.eq_ignore_ascii_case("inbox") {
                "INBOX".to_owned()
            } else {
                name
            })
        })
        .collect()
}

impl Tree {
    /// Reads the folders of the tree at `root` (not their messages).
    pub fn open(root: &Path) -> Result<Tree> {
        let meta = fs::metadata(root).map_err(TransferError::io(root))?;
        if !meta.is_dir() {
            return Err(TransferError::Format {
                path: root.into(),
                reason: "not a directory".into(),
            });
        }
        if !root.join("cur").is_dir() && !root.join("new").is_dir() {
            return Err(TransferError::Format {
                path: root.into(),
                reason: "not a Maildir (no cur/ or new/)".into(),
            });
        }
        let mut folders = vec![Folder::read("INBOX".into(), root.to_owned())?];
        let mut others = Vec::new();
        for entry in fs::read_dir(root).map_err(TransferError::io(root))? {
            let entry = entry.map_err(TransferError::io(root))?;
            let file_name = entry.file_name();
            let Some(dir_name) = file_name.to_str() else {
                continue;
            };
            let dir = entry.path();
            let is_folder = dir_name.starts_with('.')
                && dir_name.len() > 1
                && dir_name != ".."
                && dir.is_dir()
                && (dir.join("cur").is_dir()
                    || dir.join("new").is_dir()
                    || dir.join("maildirfolder").exists());
            if !is_folder {
                continue;
            }
            let name = folder_name(dir_name).map_err(|reason| TransferError::Format {
                path: dir.clone(),
                reason,
            })?;
            others.push(Folder::read(name, dir)?);
        }
        others.sort_by(|a, b| a.name.cmp(&b.name));
        folders.extend(others);
        let subscriptions = read_text(&root.join("subscriptions"))?
            .map(|t| parse_subscriptions(&t))
            .unwrap_or_default();
        Ok(Tree {
            root: root.to_owned(),
            folders,
            subscriptions,
        })
    }
}

impl Folder {
    fn read(name: String, dir: PathBuf) -> Result<Folder> {
        // Courier keeps the same version-1 list in `courierimapuiddb`.
        let mut uidlist_path = dir.join("dovecot-uidlist");
        if !uidlist_path.exists() && dir.join("courierimapuiddb").exists() {
            uidlist_path = dir.join("courierimapuiddb");
        }
        let uidlist = read_text(&uidlist_path)?
            .map(|t| UidList::parse(&t))
            .transpose()
            .map_err(|reason| TransferError::Format {
                path: uidlist_path,
                reason,
            })?;
        let keywords = read_text(&dir.join("dovecot-keywords"))?
            .map(|t| parse_keywords(&t))
            .unwrap_or_default();
        Ok(Folder {
            name,
            dir,
            uidlist,
            keywords,
        })
    }

    /// Its message files: those the uidlist names first, by UID, then the
    /// others by modification time and name.
    pub fn entries(&self) -> Result<Vec<Entry>> {
        let mut out = Vec::new();
        for sub in ["cur", "new"] {
            let dir = self.dir.join(sub);
            let listing = match fs::read_dir(&dir) {
                Ok(l) => l,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(TransferError::io(dir)(e)),
            };
            for entry in listing {
                let entry = entry.map_err(TransferError::io(&dir))?;
                let file_name = entry.file_name();
                let Some(name) = file_name.to_str() else {
                    continue;
                };
                if name.starts_with('.') {
                    continue;
                }
                let meta = entry.metadata().map_err(TransferError::io(entry.path()))?;
                if !meta.is_file() {
                    continue;
                }
                let (base, info) = split_file_name(name);
                let flags = match (sub, info) {
                    ("cur", Some(info)) => flags_of_info(info, &self.keywords),
                    _ => FlagSet::default(),
                };
                out.push(Entry {
                    path: entry.path(),
                    flags,
                    uid: self.uidlist.as_ref().and_then(|l| l.uid_of(base)),
                    mtime: unix_seconds(meta.modified().ok()),
                    size: meta.len(),
                });
            }
        }
        out.sort_by(|a, b| {
            (a.uid.is_none(), a.uid, a.mtime, &a.path).cmp(&(
                b.uid.is_none(),
                b.uid,
                b.mtime,
                &b.path,
            ))
        });
        Ok(out)
    }
}

fn unix_seconds(t: Option<SystemTime>) -> i64 {
    match t.map(|t| t.duration_since(SystemTime::UNIX_EPOCH)) {
        Some(Ok(d)) => d.as_secs() as i64,
        Some(Err(e)) => -(e.duration().as_secs() as i64),
        None => 0,
    }
}

/// Writes one folder of a Maildir++ tree: message files into `cur/`, then
/// (at [`FolderWriter::finish`]) its `dovecot-uidlist` and
/// `dovecot-keywords`, so that Dovecot, or a re-import, keeps the UIDs.
#[derive(Debug)]
pub struct FolderWriter {
    dir: PathBuf,
    keywords: Vec<Option<String>>,
    lines: String,
    lost_keywords: Vec<String>,
}

impl FolderWriter {
    /// Creates folder `name` (INBOX is the root) under `root`, for a mailbox
    /// with UIDVALIDITY `uidvalidity` and UIDNEXT `uidnext`.
    pub fn create(root: &Path, name: &str, uidvalidity: u32, uidnext: u32) -> Result<FolderWriter> {
        let dir = if name == "INBOX" {
            root.to_owned()
        } else {
            let dir_name = folder_dir_name(name).map_err(|reason| TransferError::Format {
                path: root.into(),
                reason,
            })?;
            root.join(dir_name)
        };
        for sub in ["cur", "new", "tmp"] {
            fs::create_dir_all(dir.join(sub)).map_err(TransferError::io(dir.join(sub)))?;
        }
        if name != "INBOX" {
            fs::write(dir.join("maildirfolder"), b"").map_err(TransferError::io(&dir))?;
        }
        Ok(FolderWriter {
            dir,
            keywords: Vec::new(),
            lines: format!("3 V{uidvalidity} N{uidnext}\n"),
            lost_keywords: Vec::new(),
        })
    }

    /// Writes a message (`raw` with CRLF line ends, written with LF) with
    /// its UID, flags and INTERNALDATE (the file's modification time).
    pub fn write(
        &mut self,
        uid: u32,
        flags: &FlagSet,
        internal_date: i64,
        raw: &[u8],
    ) -> Result<()> {
        let (info, lost) = info_of_flags(flags, &mut self.keywords);
        for k in lost {
            if !self.lost_keywords.contains(&k) {
                self.lost_keywords.push(k);
            }
        }
        // Dovecot's size fields: S= the file's, W= the message's with CRLF.
        let lf = crate::lines::to_lf(raw);
        let base = format!(
            "{internal_date}.U{uid}.hadron,S={},W={}",
            lf.len(),
            raw.len()
        );
        let path = self.dir.join("cur").join(format!("{base}:2,{info}"));
        let mut file = fs::File::create(&path).map_err(TransferError::io(&path))?;
        file.write_all(&lf).map_err(TransferError::io(&path))?;
        let mtime = if internal_date >= 0 {
            SystemTime::UNIX_EPOCH + Duration::from_secs(internal_date as u64)
        } else {
            SystemTime::UNIX_EPOCH - Duration::from_secs(internal_date.unsigned_abs())
        };
        file.set_modified(mtime).map_err(TransferError::io(&path))?;
        self.lines.push_str(&format!("{uid} :{base}\n"));
        Ok(())
    }

    /// Writes the folder's `dovecot-uidlist` and `dovecot-keywords`; returns
    /// the keywords no file name could carry (more than 26 in the folder).
    pub fn finish(self) -> Result<Vec<String>> {
        let uidlist = self.dir.join("dovecot-uidlist");
        fs::write(&uidlist, self.lines.as_bytes()).map_err(TransferError::io(&uidlist))?;
        if !self.keywords.is_empty() {
            let text: String = self
                .keywords
                .iter()
                .enumerate()
                .filter_map(|(i, k)| k.as_ref().map(|k| format!("{i} {k}\n")))
                .collect();
            let path = self.dir.join("dovecot-keywords");
            fs::write(&path, text).map_err(TransferError::io(&path))?;
        }
        Ok(self.lost_keywords)
    }
}

/// Writes the root's `subscriptions` file (Dovecot's version 2) for `names`.
pub fn write_subscriptions(root: &Path, names: &[String]) -> Result<()> {
    let mut text = String::from("V\t2\n\n");
    for name in names {
        text.push_str(&utf7::encode(name).replace('/', "\t"));
        text.push('\n');
    }
    let path = root.join("subscriptions");
    fs::write(&path, text).map_err(TransferError::io(&path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kw(names: &[&str]) -> Vec<Option<String>> {
        names.iter().map(|n| Some((*n).to_owned())).collect()
    }

    #[test]
    fn uidlist_versions_and_stale_headers() {
        let v3 =
            UidList::parse("3 V1796652996 N7 G793b\n1 :a.vm,S=195,W=204\n9 W10 :b.vm\nbad line\n")
                .unwrap();
        assert_eq!(
            (v3.uidvalidity, v3.next_uid, v3.len()),
            (1_796_652_996, 10, 2)
        );
        assert_eq!(
            (
                v3.uid_of("a.vm,S=195,W=204"),
                v3.uid_of("b.vm"),
                v3.uid_of("c")
            ),
            (Some(1), Some(9), None)
        );
        let v1 = UidList::parse("1 42 5\n3 c.host\n").unwrap();
        assert_eq!(
            (v1.uidvalidity, v1.next_uid, v1.uid_of("c.host")),
            (42, 5, Some(3))
        );
        for bad in ["", "7 V1 N1", "3 N5", "3 V0 N1", "3 Vx N1"] {
            assert!(UidList::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_courier_folder_keeps_its_uids() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for sub in ["cur", "new", "tmp"] {
            fs::create_dir_all(root.join(sub)).unwrap();
        }
        fs::write(root.join("cur/1000.M1.host:2,S"), "Subject: a\n\na\n").unwrap();
        fs::write(root.join("cur/1001.M2.host:2,"), "Subject: b\n\nb\n").unwrap();
        fs::write(
            root.join("courierimapuiddb"),
            "1 555 12\n4 1000.M1.host\n9 1001.M2.host\n",
        )
        .unwrap();
        let tree = Tree::open(root).unwrap();
        let inbox = &tree.folders[0];
        let list = inbox.uidlist.as_ref().unwrap();
        assert_eq!((list.uidvalidity, list.next_uid), (555, 12));
        let uids: Vec<Option<u32>> = inbox.entries().unwrap().iter().map(|e| e.uid).collect();
        assert_eq!(uids, [Some(4), Some(9)]);
        // Dovecot's list wins where both are.
        fs::write(
            root.join("dovecot-uidlist"),
            "3 V777 N3\n1 :1000.M1.host\n2 :1001.M2.host\n",
        )
        .unwrap();
        let tree = Tree::open(root).unwrap();
        assert_eq!(tree.folders[0].uidlist.as_ref().unwrap().uidvalidity, 777);
    }

    #[test]
    fn flags_and_letters() {
        let keywords = kw(&["$Important", "work-item"]);
        let flags = flags_of_info("FRSTabPz", &keywords);
        assert_eq!(
            flags.system,
            SystemFlags::FLAGGED
                .union(SystemFlags::ANSWERED)
                .union(SystemFlags::SEEN)
                .union(SystemFlags::DELETED)
        );
        let names: Vec<String> = flags.keywords.iter().map(|k| k.to_string()).collect();
        assert_eq!(names, ["$Forwarded", "$Important", "work-item"]);
        // Back: letters in ASCII order, new keywords appended.
        let mut known = kw(&["work-item"]);
        let (info, lost) = info_of_flags(&flags, &mut known);
        assert_eq!(info, "FRSTabc");
        assert!(lost.is_empty());
        assert_eq!(known, kw(&["work-item", "$Forwarded", "$Important"]));
        assert_eq!(flags_of_info(&info, &known), flags);
        // A 27th keyword has no letter.
        let mut full: Vec<Option<String>> = (0..26).map(|i| Some(format!("k{i}"))).collect();
        let extra = FlagSet::from_flags([Flag::keyword("extra").unwrap()]);
        assert_eq!(
            info_of_flags(&extra, &mut full),
            (String::new(), vec!["extra".to_owned()])
        );
    }

    #[test]
    fn file_names() {
        assert_eq!(
            split_file_name("1.M1P2.h,S=5:2,FS"),
            ("1.M1P2.h,S=5", Some("FS"))
        );
        assert_eq!(split_file_name("1.M1P2.h;2,S"), ("1.M1P2.h", Some("S")));
        assert_eq!(split_file_name("1.M1P2.h"), ("1.M1P2.h", None));
    }

    #[test]
    fn folder_names() {
        assert_eq!(folder_name(".Work.Projects").unwrap(), "Work/Projects");
        assert_eq!(folder_name(".Caf&AOk-").unwrap(), "Café");
        assert_eq!(folder_name(".inbox").unwrap(), "INBOX");
        for bad in ["Work", ".", ".a..b", ".&Jjo"] {
            assert!(folder_name(bad).is_err(), "{bad:?}");
        }
        assert_eq!(folder_dir_name("Work/Projects").unwrap(), ".Work.Projects");
        assert_eq!(folder_dir_name("Café").unwrap(), ".Caf&AOk-");
        assert!(folder_dir_name("v1.2").is_err());
    }

    #[test]
    fn subscriptions_both_formats() {
        assert_eq!(
            parse_subscriptions("V\t2\n\nWork\nCaf&AOk-\ninbox\nWork\tProjects\n"),
            ["Work", "Café", "INBOX", "Work/Projects"]
        );
        assert_eq!(
            parse_subscriptions("Work\nWork.Projects\n"),
            ["Work", "Work/Projects"]
        );
        assert!(parse_keywords("0 a\nx y\n30 far\n2 c\n").len() == 3);
    }
}
