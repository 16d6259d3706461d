//! Values kept by UID in parallel vectors (UIDs ascending), as the SORT
//! and THREAD indexes keep them: finding UIDs in them, merging new ones
//! in, and how many they may hold.

/// Most UIDs an index of a mailbox of `messages` keeps before it is
/// emptied and filled again: the UIDs past it were expunged since.
pub(crate) fn kept_limit(messages: u32) -> usize {
    2 * messages as usize + 1024
}

/// The place in `known` (ascending) of each of `uids` (ascending), `None`
/// for one it lacks. Each search starts where the last one ended and
/// gallops (steps of 1, 2, 4, … then a binary search within the last
/// step): a few UIDs cost a few binary searches, many cost about one pass
/// over `known`, and the reads stay near each other.
pub(crate) fn positions<'a>(
    known: &'a [u32],
    uids: &'a [u32],
) -> impl Iterator<Item = Option<usize>> + 'a {
    let mut k = 0;
    uids.iter().map(move |&u| {
        // Invariant: every UID before `k` is below `u`.
        let mut step = 1;
        let mut low = k;
        while k + step <= known.len() && known[k + step - 1] < u {
            low = k + step;
            step *= 2;
        }
        let high = (k + step).min(known.len());
        k = low + known[low..high].partition_point(|&x| x < u);
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
    fn positions_agree_with_binary_search() {
        let known: Vec<u32> = (1..=200).map(|u| 3 * u).collect();
        // Few and far apart, many and dense, present and absent, before
        // the first and past the last, repeated.
        for uids in [
            vec![3, 4, 600],
            (1..=700).collect::<Vec<u32>>(),
            vec![1, 2, 3, 3, 299, 300, 597, 598, 599, 601, 1000],
            vec![],
        ] {
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
