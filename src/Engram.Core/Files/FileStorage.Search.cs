using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Engram.Core.Search;

namespace Engram.Core.Storage
{
    /// <summary>The file storage's full-text index (<see cref="SearchIndex"/>, under <c>_index/</c>): searches, and its
    /// check for the verifier.</summary>
    public sealed partial class FileStorage : IFullTextIndex, ISearchIndexCheck
    {
        private SearchIndex? _index;

        internal SearchIndex Index => _index ??= new SearchIndex(this);

        /// <summary>
        /// The best matches from the index; null (the engine scans) when a namespace searched has no index or a damaged
        /// one, or a transaction is in progress or was interrupted (its changes may be half applied). Never locks.
        /// </summary>
        public IReadOnlyList<SearchCandidate>? FindText(IStorageView view, SearchQuery query, IReadOnlyList<string>? namespaces, int top)
        {
            if (!(view is FileView)) throw new ArgumentException("Not a view of this storage.", nameof(view));
            try
            {
                if (StorePaths.Exists(Path.Combine(Root, Transaction.Folder))) return null;
                var ranker = new TextRanker(query);
                var found = new Dictionary<string, SearchIndex.Matches>(StringComparer.Ordinal);
                foreach (var ns in namespaces ?? view.Namespaces())
                {
                    var state = Index.Load(ns, checkLast: true);
                    if (state == null)
                    {
                        if (Directory.Exists(Path.Combine(Root, ns))) return null; // memories without an index
                        continue; // (a namespace that does not exist holds nothing)
                    }
                    found[ns] = SearchIndex.Collect(state, ns, query, ranker);
                }
                return ranker.Top(top).Select(h => new SearchCandidate(h.Namespace, h.Key, h.Score, found[h.Namespace].HashOf(h.Key))).ToList();
            }
            catch (InvalidDataException) { return null; } // a damaged index: derived data, the scan answers
            catch (IOException) { return null; }
            catch (UnauthorizedAccessException) { return null; }
            catch (EngramException ex) when (ex.ErrorId == EngramErrorIds.UnsafeStorePath) { return null; } // a link in _index (the verifier reports it)
        }

        /// <summary>
        /// Compares each namespace's index with its memory files (what a scan reads); a namespace without an index is
        /// fine (its next writer builds one). Finding: <c>SearchIndexMismatch</c> (Warning), repaired by a rebuild.
        /// </summary>
        public void CheckSearchIndex(StoreReport report, bool repair)
        {
            var indexRoot = Path.Combine(Root, SearchIndex.Folder);
            if (report.Covers(indexRoot) || !Directory.Exists(indexRoot)) return;
            if (Paths.Prove(indexRoot) != PathKind.Directory) return;
            var namespaces = Directory.EnumerateDirectories(indexRoot).Select(Path.GetFileName).Where(n => n != null && n.Length > 0 && n[0] != '_' && Names.IsValidNamespace(n)).Select(n => n!)
                .OrderBy(n => n, StringComparer.Ordinal).ToList();
            foreach (var ns in namespaces)
            {
                // A link (reported by the verifier's scan for links) is never followed.
                if (report.Covers(Path.Combine(indexRoot, ns)) || report.Covers(Path.Combine(Root, ns)) || !Paths.IsSafe(Path.Combine(indexRoot, ns))) continue;
                if (IndexProblem(ns) == null && !Index.LastDisagrees(ns)) continue;
                StoreFinding? finding = null;
                string? problem = null;
                bool locked = UnderRecheckLock(() => finding = CheckIndex(ns, repair)); // a write in progress is not damage
                if (!locked && (problem = IndexProblem(ns)) != null) finding = Mismatch(ns, problem);
                if (finding != null) report.Findings.Add(finding);
                else report.DismissedOnRecheck++;
            }
        }

        /// <summary>The finding for the index of <paramref name="ns"/> (the caller holds the lock), repaired when asked:
        /// a last record ahead of its memory (a write a crash stopped) is cut, as its dangling entry is; an index that
        /// disagrees otherwise is rebuilt.</summary>
        private StoreFinding? CheckIndex(string ns, bool repair)
        {
            var problem = IndexProblem(ns);
            if (problem != null)
            {
                var finding = Mismatch(ns, problem);
                if (!repair) return finding;
                Index.Rebuild(ns);
                finding.Repaired = IndexProblem(ns, asSearched: false) == null;
                return finding;
            }
            if (!Index.LastDisagrees(ns)) return null;
            var dangling = new StoreFinding(FindingSeverity.Warning, "DanglingIndexRecord",
                $"The last record of the search index of namespace '{ns}' is not what its memory file holds (a write interrupted before its memory file was replaced, or a memory changed by other means): " +
                "searches read that memory instead; the next write to the namespace corrects it, and -Repair removes the record.", Index.LogPath(ns), ns);
            if (!repair) return dangling;
            Index.CutDisagreeingLast(ns);
            if (IndexProblem(ns, asSearched: false) != null) Index.Rebuild(ns); // not a write a crash stopped: the memory was changed by other means
            dangling.Repaired = IndexProblem(ns, asSearched: false) == null;
            return dangling;
        }

        private StoreFinding Mismatch(string ns, string problem) =>
            new StoreFinding(FindingSeverity.Warning, "SearchIndexMismatch",
                $"The search index of namespace '{ns}' does not agree with its memories: {problem.TrimEnd('.')}. Find-EngramMemory reads every memory of the namespace " +
                "until it is rebuilt (its results are not affected); -Repair rebuilds it from the memories.", Index.Dir(ns), ns);

        /// <summary>Why the index of <paramref name="ns"/> disagrees with its memory files; null when it agrees.</summary>
        /// <param name="asSearched">As searches read it: a last record that is not what its memory holds is read from the memory.</param>
        internal string? IndexProblem(string ns, bool asSearched = true)
        {
            SearchIndex.State? state;
            List<IndexedMemory> indexed;
            try
            {
                state = Index.Load(ns, checkLast: asSearched, cached: false);
                if (state == null) return File.Exists(Index.LogPath(ns)) ? "its log or segment cannot be read (damaged, or written by a newer build)" : null; // no log: no index yet
                indexed = state.Memories();
            }
            catch (InvalidDataException ex) { return ex.Message; }
            catch (IOException ex) { return ex.Message; }
            var actual = Index.ScanNamespace(ns);
            actual.Sort((a, b) => Names.KeyOrder.Compare(a.Key, b.Key));
            var byKey = indexed.ToDictionary(m => m.Key, StringComparer.Ordinal);
            foreach (var m in actual)
            {
                if (!byKey.TryGetValue(m.Key, out var i)) return $"'{m.Key}' is not in it";
                if (i.Hash != m.Hash || !i.Counts.SameAs(m.Counts)) return $"it holds another value for '{m.Key}'";
                byKey.Remove(m.Key);
            }
            return byKey.Count == 0 ? null : $"it holds '{byKey.Keys.OrderBy(k => k, StringComparer.Ordinal).First()}', which is not a memory";
        }
    }
}
