using System.Collections.Generic;
using Engram.Core.Search;

namespace Engram.Core.Storage
{
    /// <summary>
    /// An optional capability of an <see cref="IEngramStorage"/>: a full-text index over the keys and values of the
    /// main-line memories (SQL: FTS5 on SQLite, a tsvector column on PostgreSQL). The engine owns the query grammar
    /// (<see cref="SearchQuery"/>), validation and namespace selection; the index only names the best candidates. A
    /// storage without it is searched by the engine's scan of every memory (<see cref="TextRanker"/>), and so is one
    /// whose index cannot answer a search (null from <see cref="FindText"/>: the file store's index when it is missing,
    /// damaged, or a transaction is in progress).
    /// </summary>
    public interface IFullTextIndex
    {
        /// <summary>
        /// The best <paramref name="top"/> main-line memories matching every term of <paramref name="query"/> (prefix
        /// terms by prefix), best first, ties by namespace then key. Read through <paramref name="view"/> (one of this
        /// storage's views), so the engine reads the hits from the same state. Null when the index cannot answer: the
        /// engine then scans. A candidate that names the content hash it was indexed with (<see cref="SearchCandidate.ContentHash"/>)
        /// is checked against the memory read: when they differ the index was stale and the engine scans instead.
        /// </summary>
        /// <param name="namespaces">Normalised, distinct, not empty; null for every namespace.</param>
        IReadOnlyList<SearchCandidate>? FindText(IStorageView view, SearchQuery query, IReadOnlyList<string>? namespaces, int top);
    }

    /// <summary>One candidate of a full-text search: a memory and its score (higher is better).</summary>
    public readonly struct SearchCandidate
    {
        public SearchCandidate(string ns, string key, double score) : this(ns, key, score, null) { }

        public SearchCandidate(string ns, string key, double score, string? contentHash)
        {
            Namespace = ns;
            Key = key;
            Score = score;
            ContentHash = contentHash;
        }

        public string Namespace { get; }
        public string Key { get; }
        public double Score { get; }
        /// <summary>The content hash the index holds for the memory (null: the index does not say).</summary>
        public string? ContentHash { get; }
    }
}
