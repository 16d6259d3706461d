//! A list with at least one element, for the command arguments whose
//! grammar has no empty form (`1*search-key`, `"(" status-att *(SP status-att) ")"`).

use std::ops::Deref;

use crate::types::ValidationError;

/// A `Vec` that is never empty, so that a command built from it can always
/// be written on the wire.
///
/// ```
/// use hadron_proto::types::NonEmptyVec;
/// let v = NonEmptyVec::new(vec![1, 2]).unwrap();
/// assert_eq!(v.first(), &1);
/// assert_eq!(v.len(), 2);
/// assert!(NonEmptyVec::<u8>::new(vec![]).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NonEmptyVec<T>(Vec<T>);

impl<T> NonEmptyVec<T> {
    /// The list; rejects an empty `Vec`.
    pub fn new(items: Vec<T>) -> Result<Self, ValidationError> {
        if items.is_empty() {
            Err(ValidationError::Empty("list"))
        } else {
            Ok(NonEmptyVec(items))
        }
    }

    /// A list of one.
    pub fn one(item: T) -> Self {
        NonEmptyVec(vec![item])
    }

    /// The first element.
    pub fn first(&self) -> &T {
        &self.0[0]
    }

    /// The elements.
    pub fn as_slice(&self) -> &[T] {
        &self.0
    }

    /// The elements as a `Vec`.
    pub fn into_vec(self) -> Vec<T> {
        self.0
    }

    /// Applies `f` to every element.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> NonEmptyVec<U> {
        NonEmptyVec(self.0.into_iter().map(f).collect())
    }

    /// Builds the list from a `Vec` the caller (a parser) knows is not empty.
    pub(crate) fn unvalidated(items: Vec<T>) -> Self {
        debug_assert!(!items.is_empty());
        NonEmptyVec(items)
    }
}

impl<T> Deref for NonEmptyVec<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.0
    }
}

impl<T> TryFrom<Vec<T>> for NonEmptyVec<T> {
    type Error = ValidationError;
    fn try_from(items: Vec<T>) -> Result<Self, Self::Error> {
        NonEmptyVec::new(items)
    }
}

impl<T: PartialEq> PartialEq<Vec<T>> for NonEmptyVec<T> {
    fn eq(&self, other: &Vec<T>) -> bool {
        &self.0 == other
    }
}

impl<T> IntoIterator for NonEmptyVec<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'v, T> IntoIterator for &'v NonEmptyVec<T> {
    type Item = &'v T;
    type IntoIter = std::slice::Iter<'v, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}
