using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Engram.Core.Provenance;
using Engram.Core.Storage;
using Engram.Core.Values;

namespace Engram.Core
{
    public sealed partial class EngramStore
    {
        internal const string BranchesFolder = "_branches";

        // ------------------------------------------------------------------ layout

        // Each path is proven (StorePaths) when it is built.
        internal string BranchesDir(string ns) => _paths.Proven(Path.Combine(Root, BranchesFolder, ns));
        internal string BranchDir(string ns, string branch) => _paths.Proven(Path.Combine(Root, BranchesFolder, ns, branch));
        internal string BranchRecordPath(string ns, string branch) => _paths.Proven(Path.Combine(Root, BranchesFolder, ns, branch, "branch.yaml"));
        internal string OverlayPath(string ns, string branch, string key) => _paths.Proven(Path.Combine(Root, BranchesFolder, ns, branch, "mem", Names.EncodeKey(key) + ".yaml"));
        internal string BasePath(string ns, string branch, string key) => _paths.Proven(Path.Combine(Root, BranchesFolder, ns, branch, "base", Names.EncodeKey(key) + ".yaml"));

        // ------------------------------------------------------------------ branch records

        /// <summary>The branch record, or null when the branch does not exist.</summary>
        public BranchRecord? TryGetBranch(string ns, string branch)
        {
            ns = Names.NormalizeNamespace(ns);
            branch = Names.NormalizeBranch(branch);
            var path = BranchRecordPath(ns, branch);
            var text = TryReadText(path);
            return text == null ? null : BranchRecord.Parse(text, path);
        }

        private BranchRecord RequireBranch(string ns, string branch) =>
            TryGetBranch(ns, branch) ?? throw StoreErrors.BranchMissing(ns, branch);

        /// <summary>Branches of a namespace (all namespaces when null), with their unmerged change counts.</summary>
        public IReadOnlyList<BranchInfo> GetBranches(string? ns = null)
        {
            var result = new List<BranchInfo>();
            var namespaces = ns != null ? new[] { Names.NormalizeNamespace(ns) }
                : Directory.Exists(Path.Combine(Root, BranchesFolder))
                    ? _paths.Directories(Path.Combine(Root, BranchesFolder)).Select(Path.GetFileName).Where(n => n != null && Names.IsValidNamespace(n)).Select(n => n!).ToArray()
                    : Array.Empty<string>();
            foreach (var n in namespaces.OrderBy(x => x, StringComparer.Ordinal))
            {
                var dir = BranchesDir(n);
                if (!Directory.Exists(dir)) continue;
                foreach (var bdir in _paths.Directories(dir).OrderBy(x => x, StringComparer.Ordinal))
                {
                    var path = _paths.Proven(Path.Combine(bdir, "branch.yaml"));
                    var text = TryReadText(path);
                    if (text == null) continue;
                    var record = BranchRecord.Parse(text, path);
                    var mem = Path.Combine(bdir, "mem");
                    int changed = Directory.Exists(mem) ? _paths.Files(mem, "*.yaml", proveEach: false).Count() : 0;
                    result.Add(new BranchInfo(record, changed));
                }
            }
            return result;
        }

        /// <summary>Live branches of <paramref name="ns"/> that read <paramref name="key"/> from main and have no merge base for it yet.</summary>
        internal List<string> BranchesNeedingBase(string ns, string key)
        {
            var dir = Path.Combine(Root, BranchesFolder, ns);
            var result = new List<string>();
            if (_paths.Prove(dir) != PathKind.Directory) return result; // one probe on the hot path when there are no branches
            foreach (var bdir in _paths.Directories(dir))
            {
                var branch = Path.GetFileName(bdir);
                var recordText = TryReadText(_paths.Proven(Path.Combine(bdir, "branch.yaml")));
                if (recordText == null) continue;
                var record = BranchRecord.Parse(recordText, Path.Combine(bdir, "branch.yaml"));
                if (!record.Covers(key)) continue;
                if (File.Exists(BasePath(ns, branch, key))) continue;
                result.Add(branch);
            }
            return result;
        }

        /// <summary>Stages, for each branch, the memory as main has it now (or a tombstone when it does not exist).</summary>
        internal void StageBaseSnapshots(Transaction txn, IEnumerable<string> branches, MemoryRecord? current, string ns, string key)
        {
            var snapshot = MemoryFile.Serialize(current ?? MemoryRecord.Tombstone("", ns, key, 0, Names.DefaultBranch));
            foreach (var b in branches) txn.Write(BasePath(ns, b, key), snapshot);
        }

        private MemoryRecord? ReadFile(string path, string ns, string branch)
        {
            var text = TryReadText(path);
            return text == null ? null : MemoryFile.Parse(text, ns, path, branch);
        }

        /// <summary>
        /// The memory as the branch sees it, tombstones included: its own version if it changed it, else the merge base
        /// kept when main changed after the fork, else main's current version. Null: never existed for the branch.
        /// </summary>
        internal MemoryRecord? ReadViewRaw(string ns, string branch, string key)
        {
            if (branch == Names.DefaultBranch) return TryGet(ns, key);
            var overlay = ReadFile(OverlayPath(ns, branch, key), ns, branch);
            if (overlay != null) return overlay;
            var baseRec = ReadFile(BasePath(ns, branch, key), ns, branch);
            if (baseRec != null) return baseRec;
            return TryGet(ns, key)?.OnBranch(branch);
        }

        /// <summary>Reads one memory on a branch; null when it does not exist there.</summary>
        public MemoryRecord? TryGet(string ns, string key, string? branch)
        {
            var b = Names.NormalizeBranch(branch);
            if (b == Names.DefaultBranch) return TryGet(ns, key);
            ns = Names.NormalizeNamespace(ns);
            Names.ValidateKey(key);
            var record = RequireBranch(ns, b);
            if (!record.Covers(key)) return null;
            var view = ReadViewRaw(ns, b, key);
            return view == null || view.Deleted ? null : view;
        }

        /// <summary>Lists the keys a branch sees, sorted: main's (for a namespace fork), its merge bases and its own changes,
        /// without the ones it does not see (deleted on the branch, or created on main after the fork).</summary>
        public IReadOnlyList<string> ListKeys(string ns, string? branch)
        {
            ns = Names.NormalizeNamespace(ns);
            var b = Names.NormalizeBranch(branch);
            var keys = new SortedSet<string>(StringComparer.Ordinal);
            if (b == Names.DefaultBranch)
            {
                foreach (var l in List(ns)) keys.Add(l.Key ?? Read(l).Key);
                return keys.ToList();
            }
            var record = RequireBranch(ns, b);
            // The branch's own version (mem/) hides its merge base (base/), which hides main; a tombstone in either
            // means the branch does not see the key (deleted on the branch, or created on main after the fork).
            var own = new Dictionary<string, bool>(StringComparer.Ordinal); // key -> visible
            foreach (var sub in new[] { "mem", "base" })
            {
                var dir = Path.Combine(BranchDir(ns, b), sub);
                if (!Directory.Exists(dir)) continue;
                foreach (var f in _paths.Files(dir, "*.yaml"))
                {
                    var m = ReadFile(f, ns, b);
                    if (m != null && !own.ContainsKey(m.Key)) own[m.Key] = !m.Deleted;
                }
            }
            if (record.Keys != null) { foreach (var k in record.Keys) if (!own.ContainsKey(k) && File.Exists(MemoryPath(ns, k))) keys.Add(k); }
            else foreach (var l in List(ns)) { var k = l.Key ?? Read(l).Key; if (!own.ContainsKey(k)) keys.Add(k); }
            foreach (var kv in own) if (kv.Value) keys.Add(kv.Key);
            return keys.ToList();
        }

        // ------------------------------------------------------------------ fork

        /// <summary>
        /// Forks a namespace (keys null: copies nothing) or some of its memories (their merge base is kept eagerly and
        /// tracked ones get a <c>forked</c> entry) into a new branch, atomically.
        /// </summary>
        public BranchRecord Fork(string ns, string branch, IReadOnlyList<string>? keys, string? actor = null, string? reason = null)
        {
            ns = Names.NormalizeNamespace(ns);
            branch = Names.NormalizeBranch(branch);
            if (branch == Names.DefaultBranch)
                throw new EngramException(EngramErrorIds.InvalidBranch, EngramErrorKind.InvalidArgument, "'main' is the main line; fork into another name.", branch);
            if (keys != null) foreach (var k in keys) Names.ValidateKey(k);
            actor = NormalizeActor(actor);
            EnsureExists();
            using (LockForWrite())
            {
                if (File.Exists(BranchRecordPath(ns, branch)))
                    throw StoreErrors.BranchExists(ns, branch);
                var now = DateTime.UtcNow;
                var record = new BranchRecord(branch, ns, now, actor, string.IsNullOrEmpty(reason) ? null : reason, keys?.Distinct(StringComparer.Ordinal).ToList());
                using (var txn = BeginTransaction())
                {
                    txn.Write(BranchRecordPath(ns, branch), record.ToYaml());
                    if (record.Keys != null)
                    {
                        foreach (var key in record.Keys)
                        {
                            var current = TryGet(ns, key) ?? throw NotFound(ns, key);
                            txn.Write(BasePath(ns, branch, key), MemoryFile.Serialize(current));
                            var log = new ProvenanceLog(ProvenancePath(ns, key));
                            var tail = log.Exists ? Reconcile(log, current, ns, key) : null;
                            if (tail == null) continue; // untracked (or only a write that never finished, now cut)
                            StageAppend(txn, log, tail, ForkedEntry(tail, current, ns, key, actor, now, branch, reason));
                        }
                    }
                    txn.Commit();
                }
                return record;
            }
        }

        /// <summary>Deletes a branch and its unmerged changes, atomically. Histories keep their branch entries.</summary>
        public BranchInfo RemoveBranch(string ns, string branch)
        {
            ns = Names.NormalizeNamespace(ns);
            branch = Names.NormalizeBranch(branch);
            EnsureExists();
            using (LockForWrite())
            {
                var info = GetBranches(ns).FirstOrDefault(b => b.Record.Name == branch)
                           ?? throw new EngramException(EngramErrorIds.BranchNotFound, EngramErrorKind.NotFound, $"There is no branch '{branch}' of namespace '{ns}'.", ns + "@" + branch);
                using (var txn = BeginTransaction())
                {
                    txn.DeleteTree(BranchDir(ns, branch));
                    txn.Commit();
                }
                var nsDir = BranchesDir(ns);
                try { if (Directory.Exists(nsDir) && !Directory.EnumerateFileSystemEntries(nsDir).Any()) Directory.Delete(nsDir); }
                catch (IOException) { }
                return info;
            }
        }

        // ------------------------------------------------------------------ writes on a branch

        private SetResult SetOnBranch(SetRequest request, CheckedWrite w)
        {
            string ns = w.Namespace, branch = w.Branch, key = w.Key, actor = w.Actor, contentHash = w.ContentHash;
            var tags = w.Tags;
            EnsureExists();
            using (LockForWrite())
            {
                var record = RequireBranch(ns, branch);
                if (!record.Covers(key)) throw StoreErrors.NotInBranch(ns, branch, key);
                var log = new ProvenanceLog(ProvenancePath(ns, key));
                var main = TryGet(ns, key);
                // Reconciled before the tracking decision, as on main: a lone entry of a write that never finished is cut
                // first and does not make the memory tracked.
                var tail = log.Exists ? Reconcile(log, main, ns, key) : null;
                bool tracked = Tracked(request, tail != null, Config, ns, key, mainLine: false); // true whenever a tail remains
                var sources = ResolveSources(request);

                var view = ReadViewRaw(ns, branch, key);
                var live = view != null && !view.Deleted ? view : null;
                ConditionalWrite.Check(request, live, ns, key, branch);
                var newTags = tags ?? live?.Tags ?? Array.Empty<string>();
                if (live != null && !request.IsCognitive && live.ContentHash == contentHash && newTags.SequenceEqual(live.Tags, StringComparer.Ordinal))
                    return new SetResult(live, false, null);

                var now = DateTime.UtcNow;
                var id = view != null && view.Id.Length > 0 ? view.Id : main?.Id ?? (tail != null ? log.ReadTailEntry(tail).MemoryId : Guid.NewGuid().ToString("N"));
                var version = (view?.Version ?? 0) + 1;
                var written = new MemoryRecord(id, ns, key, request.Value, newTags, version, live?.CreatedUtc ?? now, now, branch);
                bool firstChange = !File.Exists(OverlayPath(ns, branch, key));
                using (var txn = BeginTransaction())
                {
                    txn.Write(OverlayPath(ns, branch, key), MemoryFile.Serialize(written));
                    if (tracked)
                    {
                        var entries = new List<ProvenanceEntry>();
                        if (firstChange && record.Keys == null && live != null)
                            entries.Add(ForkedEntry(tail, live, ns, key, actor, now, branch, null));
                        entries.Add(NewEntry(tail, id, ns, key, request.Action ?? (live == null ? ProvenanceActions.Created : ProvenanceActions.Revised),
                            actor, now, branch, version, request.Reason, contentHash, request.Value, details: CognitionDetails(request, sources), previous: entries.LastOrDefault()));
                        StageAppend(txn, log, tail, entries.ToArray());
                        StageDerivedIndex(txn, sources, entries.Last());
                        txn.Commit();
                        return new SetResult(written, true, entries.Last());
                    }
                    txn.Commit();
                    return new SetResult(written, true, null);
                }
            }
        }

        private ProvenanceEntry? RemoveOnBranch(string ns, string key, string? actor, string? reason, string branch)
        {
            ns = Names.NormalizeNamespace(ns);
            Names.ValidateKey(key);
            actor = NormalizeActor(actor);
            EnsureExists();
            using (LockForWrite())
            {
                var record = RequireBranch(ns, branch);
                if (!record.Covers(key)) throw StoreErrors.NotInBranch(ns, branch, key);
                var view = ReadViewRaw(ns, branch, key);
                if (view == null || view.Deleted) throw NotFound(ns, key);
                var log = new ProvenanceLog(ProvenancePath(ns, key));
                using (var txn = BeginTransaction())
                {
                    txn.Write(OverlayPath(ns, branch, key), MemoryFile.Serialize(MemoryRecord.Tombstone(view.Id, ns, key, view.Version, branch)));
                    ProvenanceEntry? entry = null;
                    var tail = log.Exists ? Reconcile(log, TryGet(ns, key), ns, key) : null;
                    if (tail != null)
                    {
                        entry = NewEntry(tail, view.Id, ns, key, ProvenanceActions.Deleted, actor, DateTime.UtcNow, branch, view.Version, reason, null, null, hasValue: false);
                        StageAppend(txn, log, tail, entry);
                    }
                    txn.Commit();
                    return entry;
                }
            }
        }

    }
}
