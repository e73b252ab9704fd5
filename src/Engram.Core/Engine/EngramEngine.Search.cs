using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Engram.Core.Search;
using Engram.Core.Storage;

namespace Engram.Core.Engine
{
    public partial class EngramEngine
    {
        // ------------------------------------------------------------------ full-text search

        /// <summary>
        /// Ranked full-text search over the keys and values of main-line memories (see <see cref="SearchQuery"/> for the
        /// query language). A storage with a full-text index (<see cref="IFullTextIndex"/>) names the candidates and their
        /// scores; any other is scanned: every memory of the namespaces searched is read, one at a time, keeping only a
        /// small entry per match (<see cref="TextRanker"/>), then the best <paramref name="top"/> are read again. Memories
        /// that cannot be read are left out and reported to <paramref name="unreadable"/> (as Get-EngramMemory reports
        /// them). Never locks, never opens provenance.
        /// </summary>
        /// <param name="namespaces">Namespaces to search (normalized; ones that do not exist give nothing); null for all.</param>
        /// <param name="top">At least 1 (InvalidSearchQuery otherwise, on every backend).</param>
        public IReadOnlyList<SearchHit> Search(string query, IReadOnlyCollection<string>? namespaces = null, int top = 10, Action<EngramException>? unreadable = null)
        {
            var q = SearchQuery.Parse(query);
            CheckTop(top);
            var selected = namespaces == null ? null : NormalizeSearchNamespaces(namespaces);
            EnsureExists();
            if (selected != null && selected.Count == 0) return Array.Empty<SearchHit>();
            using (var view = Storage.OpenRead())
                return (Storage is IFullTextIndex index ? SearchIndexed(index, view, q, selected, top, unreadable) : null)
                    ?? SearchScanned(view, q, selected, top, unreadable);
        }

        /// <summary>The hits an index names; null when it cannot answer, or when a hit's memory is not what the index
        /// holds (changed by hand, or by a build that keeps no index): the scan answers then.</summary>
        private static List<SearchHit>? SearchIndexed(IFullTextIndex index, IStorageView view, SearchQuery q, IReadOnlyList<string>? namespaces, int top,
            Action<EngramException>? unreadable)
        {
            var candidates = index.FindText(view, q, namespaces, top);
            if (candidates == null) return null;
            var hits = new List<SearchHit>();
            var unparsed = new List<EngramException>();
            foreach (var c in candidates)
            {
                MemoryRecord? m;
                try { m = view.ReadMemory(c.Namespace, c.Key); }
                catch (EngramException ex) when (ex.ErrorId == EngramErrorIds.MalformedMemoryFile)
                {
                    if (c.ContentHash != null) return null; // indexed, then broken: the index is stale
                    unparsed.Add(ex); // a memory that does not parse: left out, reported
                    continue;
                }
                if (c.ContentHash != null && (m == null || !string.Equals(m.ContentHash, c.ContentHash, StringComparison.Ordinal))) return null;
                if (m != null) hits.Add(new SearchHit(m, c.Score, SearchMatch.Text));
            }
            foreach (var ex in unparsed) unreadable?.Invoke(ex);
            return hits;
        }

        private static List<SearchHit> SearchScanned(IStorageView view, SearchQuery q, IReadOnlyList<string>? namespaces, int top,
            Action<EngramException>? unreadable)
        {
            var ranker = new TextRanker(q);
            foreach (var ns in namespaces ?? view.Namespaces())
                foreach (var location in view.ListMemories(ns))
                {
                    var m = TryReadForSearch(view, location, unreadable);
                    if (m != null) ranker.Add(m);
                }

            var hits = new List<SearchHit>();
            foreach (var (ns, key, score) in ranker.Top(top))
            {
                MemoryRecord? m;
                try { m = view.ReadMemory(ns, key); }
                catch (EngramException) { m = null; }
                if (m != null) hits.Add(new SearchHit(m, score, SearchMatch.Text)); // (gone since the scan: left out)
            }
            return hits;
        }

        private static MemoryRecord? TryReadForSearch(IStorageView view, MemoryLocation location, Action<EngramException>? unreadable)
        {
            try { return view.ReadListed(location); }
            catch (EngramException ex)
            {
                if (ex.ErrorId != EngramErrorIds.MemoryNotFound) unreadable?.Invoke(ex); // malformed (not: removed since it was listed)
                return null;
            }
            catch (IOException) { return null; }
            catch (UnauthorizedAccessException) { return null; }
        }

        /// <summary>Refuses a result count below 1 (InvalidSearchQuery, InvalidArgument): the documented range of
        /// Find-EngramMemory -Top starts at 1, and every backend refuses alike.</summary>
        internal static void CheckTop(int top)
        {
            if (top < 1)
                throw new EngramException(EngramErrorIds.InvalidSearchQuery, EngramErrorKind.InvalidArgument,
                    $"The number of results must be at least 1 (got {top}).", top);
        }

        /// <summary>The namespaces a search covers: every one in the store for null, else the given ones normalized
        /// (invalid names are refused), without duplicates, sorted.</summary>
        internal static IReadOnlyList<string> SearchNamespaces(IEngramStore store, IReadOnlyCollection<string>? namespaces) =>
            namespaces == null ? store.ListNamespaces() : NormalizeSearchNamespaces(namespaces);

        private static List<string> NormalizeSearchNamespaces(IReadOnlyCollection<string> namespaces) =>
            namespaces.Select(Names.NormalizeNamespace).Distinct().OrderBy(n => n, StringComparer.Ordinal).ToList();

        // ------------------------------------------------------------------ embedding vectors

        /// <summary>
        /// The stored embedding vectors of a namespace, sorted by key. They are derived data (recomputed when missing), so
        /// vectors that cannot be read (damaged by hand, or written by a newer build) read as none, as does a storage that
        /// keeps no vectors (<see cref="IVectorStore"/>). Never locks.
        /// </summary>
        public IReadOnlyList<StoredVector> GetVectors(string ns)
        {
            ns = Names.NormalizeNamespace(ns);
            return Storage is IVectorStore vectors ? vectors.ReadVectors(ns) : Array.Empty<StoredVector>();
        }

        /// <summary>
        /// Stores embedding vectors for keys of a namespace: each replaces the vector stored for its key, others are kept;
        /// vectors of memories that no longer exist are dropped. Atomic, under the store's write lock; memories and
        /// provenance are never touched. The store must exist. A storage that keeps no vectors (no
        /// <see cref="IVectorStore"/>) keeps none: semantic search computes them again each time.
        /// </summary>
        public void PutVectors(string ns, IReadOnlyList<StoredVector> vectors)
        {
            if (vectors == null) throw new ArgumentNullException(nameof(vectors));
            ns = Names.NormalizeNamespace(ns);
            foreach (var v in vectors)
            {
                if (v == null) throw new ArgumentException("A vector list cannot hold null.", nameof(vectors));
                Names.ValidateKey(v.Key);
                if (v.Vector == null || v.ContentHash == null || v.Model == null)
                    throw new ArgumentException($"The vector for '{v.Key}' is incomplete.", nameof(vectors));
            }
            EnsureExists();
            if (Storage is IVectorStore store) store.WriteVectors(ns, vectors);
        }
    }
}
