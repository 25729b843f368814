//! Semantic version numbers from change types: the first version is 1.0.0; each next version
//! bumps the previous one's triple by its change type.

/// How a version changes its predecessor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeType {
    /// M+1.0.0
    Major,
    /// M.m+1.0
    Minor,
    /// M.m.p+1 (also a missing change type)
    Patch,
}

impl ChangeType {
    /// `'major' | 'minor' | 'patch'`; NULL is a patch. Anything else is refused.
    pub fn parse(text: Option<&str>) -> Result<ChangeType, String> {
        match text {
            None | Some("patch") => Ok(ChangeType::Patch),
            Some("minor") => Ok(ChangeType::Minor),
            Some("major") => Ok(ChangeType::Major),
            Some(other) => Err(format!(
                "unknown change type \"{other}\" (change types: major, minor, patch)"
            )),
        }
    }
}

/// The triple of a version whose predecessor had `previous` (None: the first version).
pub fn bump(previous: Option<(i64, i64, i64)>, change: ChangeType) -> (i64, i64, i64) {
    match (previous, change) {
        (None, _) => (1, 0, 0),
        (Some((m, _, _)), ChangeType::Major) => (m + 1, 0, 0),
        (Some((m, n, _)), ChangeType::Minor) => (m, n + 1, 0),
        (Some((m, n, p)), ChangeType::Patch) => (m, n, p + 1),
    }
}

/// `M.m.p` or `M.m.p-prerelease`.
pub fn format(triple: (i64, i64, i64), prerelease: Option<&str>) -> String {
    let (m, n, p) = triple;
    match prerelease.filter(|s| !s.is_empty()) {
        Some(pre) => format!("{m}.{n}.{p}-{pre}"),
        None => format!("{m}.{n}.{p}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn examples() {
        assert_eq!(bump(None, ChangeType::Major), (1, 0, 0));
        assert_eq!(bump(Some((1, 2, 3)), ChangeType::Patch), (1, 2, 4));
        assert_eq!(bump(Some((1, 2, 3)), ChangeType::Minor), (1, 3, 0));
        assert_eq!(bump(Some((1, 2, 3)), ChangeType::Major), (2, 0, 0));
        assert_eq!(ChangeType::parse(None), Ok(ChangeType::Patch));
        assert!(ChangeType::parse(Some("huge"))
            .unwrap_err()
            .contains("huge"));
        assert_eq!(format((1, 2, 3), Some("rc.1")), "1.2.3-rc.1");
        assert_eq!(format((1, 2, 3), Some("")), "1.2.3");
    }

    proptest! {
        /// Every bump makes the triple strictly greater, and resets the parts below the one bumped.
        #[test]
        fn bumps_increase(prev in (0i64..1000, 0i64..1000, 0i64..1000), c in 0..3u8) {
            let change = [ChangeType::Major, ChangeType::Minor, ChangeType::Patch][c as usize];
            let next = bump(Some(prev), change);
            prop_assert!(next > prev);
            match change {
                ChangeType::Major => prop_assert_eq!((next.1, next.2), (0, 0)),
                ChangeType::Minor => prop_assert_eq!((next.0, next.2), (prev.0, 0)),
                ChangeType::Patch => prop_assert_eq!((next.0, next.1), (prev.0, prev.1)),
            }
        }
    }
}
