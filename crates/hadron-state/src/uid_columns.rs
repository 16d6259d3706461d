//! Values kept by UID in parallel vectors (UIDs ascending), as the SORT
//! and THREAD indexes keep them: finding UIDs in them, merging new ones
//! in, and how many they may hold.

/// Most UIDs an index of a mailbox of `messages` keeps before it is
/// emptied and filled again: the UIDs past it were expunged since.
pub(crate) fn kept_limit(messages: u32) -> usize {
    2 * messages as usize + 1024
}

/// The place in `known` (ascending) of each of `uids` (ascending), `None`
/// for one it lacks: by binary search when `uids` are few beside `known`
/// (a new message or two), else in one pass over both.
pub(crate) fn positions<'a>(
    known: &'a [u32],
    uids: &'a [u32],
) -> impl Iterator<Item = Option<usize>> + 'a {
    let search = uids.len() * 16 < known.len();
    let mut k = 0;
    uids.iter().map(move |&u| {
        if search {
            return known.binary_search(&u).ok();
        }
        while k < known.len() && known[k] < u {
            k += 1;
        }
        (known.get(k) == Some(&u)).then_some(k)
    })
}

/// The UIDs of `uids` (ascending) that `known` (ascending) lacks.
pub(crate) fn missing(known: &[u32], uids: &[u32]) -> Vec<u32> {
    uids.iter()
        .zip(positions(known, uids))
        .filter_map(|(&u, at)| at.is_none().then_some(u))
        .collect()
}

/// Merges `fresh` (`(uid, value)` pairs by ascending UID, none in
/// `uids`) into the parallel vectors `uids` (ascending) and `values`; new
/// UIDs past the last are appended without a pass over the old ones.
pub(crate) fn merge<T>(
    uids: &mut Vec<u32>,
    values: &mut Vec<T>,
    fresh: impl IntoIterator<Item = (u32, T)>,
) {
    let mut fresh = fresh.into_iter().peekable();
    if fresh
        .peek()
        .is_some_and(|&(u, _)| uids.last().is_none_or(|&last| u > last))
    {
        for (u, v) in fresh {
            uids.push(u);
            values.push(v);
        }
        return;
    }
    let old = std::mem::take(uids).into_iter().zip(std::mem::take(values));
    for (u, v) in old {
        while let Some((nu, nv)) = fresh.next_if(|&(nu, _)| nu < u) {
            uids.push(nu);
            values.push(nv);
        }
        uids.push(u);
        values.push(v);
    }
    for (u, v) in fresh {
        uids.push(u);
        values.push(v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_by_search_and_by_walk_agree() {
        let known: Vec<u32> = (1..=200).map(|u| 3 * u).collect();
        // Few (binary search) and many (one walk), present and absent.
        for uids in [vec![3, 4, 600], (1..=700).collect::<Vec<u32>>()] {
            let expected: Vec<Option<usize>> =
                uids.iter().map(|u| known.binary_search(u).ok()).collect();
            assert_eq!(positions(&known, &uids).collect::<Vec<_>>(), expected);
        }
        assert_eq!(missing(&known, &[3, 4, 6, 601]), vec![4, 601]);
        assert_eq!(missing(&[], &[1, 2]), vec![1, 2]);
    }

    #[test]
    fn merge_appends_or_interleaves() {
        let (mut uids, mut values) = (vec![2, 5], vec!['b', 'e']);
        merge(&mut uids, &mut values, [(7, 'g'), (9, 'i')]);
        merge(&mut uids, &mut values, [(1, 'a'), (6, 'f'), (10, 'j')]);
        assert_eq!(uids, [1, 2, 5, 6, 7, 9, 10]);
        assert_eq!(values, ['a', 'b', 'e', 'f', 'g', 'i', 'j']);
    }
}
