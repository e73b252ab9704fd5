using System;
using System.Collections.Generic;
using System.Linq;
using Engram.Core;
using Engram.Core.Provenance;
using Engram.Core.Values;

namespace Engram.Storage.Sql
{
    /// <summary>
    /// Branches as rows: <c>branches</c> holds each branch record, <c>branch_memories</c> a branch's own versions
    /// (kind 'mem') and the merge bases kept when main changed after the fork (kind 'base'), tombstones included —
    /// the same copy-on-write model as the file store, so a fork copies nothing.
    /// </summary>
    public sealed partial class SqlEngramStore
    {
        private const string Mem = "mem";
        private const string Base = "base";

        private BranchRecord ParseBranch(string doc, string ns, string name) => BranchRecord.Parse(doc, Root + "#_branches/" + ns + "/" + name);

        private BranchRecord? BranchRow(Db db, string ns, string branch)
        {
            var doc = db.Scalar("SELECT doc FROM branches WHERE ns = @ns AND name = @b", ("ns", ns), ("b", branch)) as string;
            return doc == null ? null : ParseBranch(doc, ns, branch);
        }

        private List<BranchRecord> BranchRows(Db db, string ns) =>
            db.Query("SELECT name, doc FROM branches WHERE ns = @ns", r => (name: r.GetString(0), doc: r.GetString(1)), ("ns", ns))
              .Select(x => ParseBranch(x.doc, ns, x.name)).OrderBy(b => b.Name, StringComparer.Ordinal).ToList();

        private MemoryRecord? BranchMemory(Db db, string ns, string branch, string kind, string key)
        {
            var doc = db.Scalar("SELECT doc FROM branch_memories WHERE ns = @ns AND branch = @b AND kind = @k AND key = @key", ("ns", ns), ("b", branch), ("k", kind), ("key", key)) as string;
            return doc == null ? null : ParseMemory(doc, ns, key, branch);
        }

        private static void PutBranchMemory(Db db, string ns, string branch, string kind, MemoryRecord m)
        {
            var doc = MemoryFile.Serialize(m);
            if (db.Exec("UPDATE branch_memories SET doc = @doc WHERE ns = @ns AND branch = @b AND kind = @k AND key = @key", ("doc", doc), ("ns", ns), ("b", branch), ("k", kind), ("key", m.Key)) == 0)
                db.Exec("INSERT INTO branch_memories (ns, branch, kind, key, doc) VALUES (@ns, @b, @k, @key, @doc)", ("doc", doc), ("ns", ns), ("b", branch), ("k", kind), ("key", m.Key));
        }

        private static void DeleteBranchMemory(Db db, string ns, string branch, string kind, string key) =>
            db.Exec("DELETE FROM branch_memories WHERE ns = @ns AND branch = @b AND kind = @k AND key = @key", ("ns", ns), ("b", branch), ("k", kind), ("key", key));

        /// <summary>Before main changes a memory: keeps, for each live branch still reading it from main, its merge base.</summary>
        private void KeepBases(Db db, string ns, string key, MemoryRecord? current, string? exceptBranch)
        {
            foreach (var b in BranchRows(db, ns))
            {
                if (b.Name == exceptBranch || !b.Covers(key)) continue;
                if (db.Scalar("SELECT 1 FROM branch_memories WHERE ns = @ns AND branch = @b AND kind = 'base' AND key = @key", ("ns", ns), ("b", b.Name), ("key", key)) != null) continue;
                var snapshot = current ?? MemoryRecord.Tombstone("", ns, key, 0, Names.DefaultBranch);
                db.Exec("INSERT INTO branch_memories (ns, branch, kind, key, doc) VALUES (@ns, @b, 'base', @key, @doc)",
                    ("ns", ns), ("b", b.Name), ("key", key), ("doc", MemoryFile.Serialize(snapshot)));
            }
        }

        /// <summary>The memory as the branch sees it, tombstones included (its own version, else its merge base, else main's).</summary>
        private MemoryRecord? ViewRaw(Db db, string ns, string branch, string key) =>
            branch == Names.DefaultBranch ? MainRow(db, ns, key)
                : BranchMemory(db, ns, branch, Mem, key) ?? BranchMemory(db, ns, branch, Base, key) ?? MainRow(db, ns, key)?.OnBranch(branch);

        // ------------------------------------------------------------------ reads

        public BranchRecord? TryGetBranch(string ns, string branch)
        {
            ns = Names.NormalizeNamespace(ns);
            branch = Names.NormalizeBranch(branch);
            return Read(db => BranchRow(db, ns, branch), null);
        }

        public IReadOnlyList<BranchInfo> GetBranches(string? ns = null)
        {
            var n = ns == null ? null : Names.NormalizeNamespace(ns);
            return Read(db =>
            {
                var rows = db.Query("SELECT ns, name, doc FROM branches" + (n == null ? "" : " WHERE ns = @ns"),
                    r => (ns: r.GetString(0), name: r.GetString(1), doc: r.GetString(2)), n == null ? Array.Empty<(string, object?)>() : new (string, object?)[] { ("ns", n) });
                var changed = db.Query("SELECT ns, branch, COUNT(*) FROM branch_memories WHERE kind = 'mem' GROUP BY ns, branch",
                    r => (ns: r.GetString(0), b: r.GetString(1), c: Convert.ToInt32(r.GetValue(2), System.Globalization.CultureInfo.InvariantCulture)))
                    .ToDictionary(x => x.ns + "\n" + x.b, x => x.c, StringComparer.Ordinal);
                return rows.OrderBy(x => x.ns, StringComparer.Ordinal).ThenBy(x => x.name, StringComparer.Ordinal)
                    .Select(x => new BranchInfo(ParseBranch(x.doc, x.ns, x.name), changed.TryGetValue(x.ns + "\n" + x.name, out var c) ? c : 0))
                    .ToList();
            }, new List<BranchInfo>());
        }

        public MemoryRecord? TryGet(string ns, string key, string? branch)
        {
            var b = Names.NormalizeBranch(branch);
            if (b == Names.DefaultBranch) return TryGet(ns, key);
            ns = Names.NormalizeNamespace(ns);
            Names.ValidateKey(key);
            return OnBranch(ns, b, (db, record) =>
            {
                if (!record.Covers(key)) return null;
                var view = ViewRaw(db, ns, b, key);
                return view == null || view.Deleted ? null : view;
            });
        }

        /// <summary>Runs a read against an existing branch (BranchNotFound otherwise, also when the store has no tables).</summary>
        private T OnBranch<T>(string ns, string branch, Func<Db, BranchRecord, T> read)
        {
            using (var db = OpenRead())
            {
                if (db == null) throw StoreErrors.BranchMissing(ns, branch);
                BranchRecord? record;
                try { record = BranchRow(db, ns, branch); }
                catch (Exception ex) when (_d.IsMissingTable(ex)) { record = null; }
                return read(db, record ?? throw StoreErrors.BranchMissing(ns, branch));
            }
        }

        public IReadOnlyList<string> ListKeys(string ns, string? branch)
        {
            ns = Names.NormalizeNamespace(ns);
            var b = Names.NormalizeBranch(branch);
            if (b == Names.DefaultBranch) return List(ns).Select(l => l.Key!).ToList();
            return OnBranch(ns, b, (db, record) =>
            {
                var result = new SortedSet<string>(StringComparer.Ordinal);
                // The branch's own version hides its merge base, which hides main; a tombstone in either means the
                // branch does not see the key.
                var own = new Dictionary<string, bool>(StringComparer.Ordinal);
                foreach (var kind in new[] { Mem, Base })
                    foreach (var (key, doc) in db.Query("SELECT key, doc FROM branch_memories WHERE ns = @ns AND branch = @b AND kind = @k",
                                 r => (r.GetString(0), r.GetString(1)), ("ns", ns), ("b", b), ("k", kind)))
                        if (!own.ContainsKey(key)) own[key] = !ParseMemory(doc, ns, key, b).Deleted;
                var main = new HashSet<string>(db.Query("SELECT key FROM memories WHERE ns = @ns", r => r.GetString(0), ("ns", ns)), StringComparer.Ordinal);
                if (record.Keys != null) { foreach (var k in record.Keys) if (!own.ContainsKey(k) && main.Contains(k)) result.Add(k); }
                else foreach (var k in main) if (!own.ContainsKey(k)) result.Add(k);
                foreach (var kv in own) if (kv.Value) result.Add(kv.Key);
                return (IReadOnlyList<string>)result.ToList();
            });
        }

        // ------------------------------------------------------------------ fork / remove

        public BranchRecord Fork(string ns, string branch, IReadOnlyList<string>? keys, string? actor = null, string? reason = null)
        {
            ns = Names.NormalizeNamespace(ns);
            branch = Names.NormalizeBranch(branch);
            if (branch == Names.DefaultBranch)
                throw new EngramException(EngramErrorIds.InvalidBranch, EngramErrorKind.InvalidArgument, "'main' is the main line; fork into another name.", branch);
            if (keys != null) foreach (var k in keys) Names.ValidateKey(k);
            actor = EngramStore.NormalizeActor(actor);
            EnsureExists();
            return Write(db =>
            {
                if (BranchRow(db, ns, branch) != null)
                    throw StoreErrors.BranchExists(ns, branch);
                var now = DateTime.UtcNow;
                var record = new BranchRecord(branch, ns, now, actor, string.IsNullOrEmpty(reason) ? null : reason, keys?.Distinct(StringComparer.Ordinal).ToList());
                db.Exec("INSERT INTO branches (ns, name, doc) VALUES (@ns, @b, @doc)", ("ns", ns), ("b", branch), ("doc", record.ToYaml()));
                if (record.Keys != null)
                    foreach (var key in record.Keys)
                    {
                        var current = MainRow(db, ns, key) ?? throw EngramStore.NotFound(ns, key);
                        PutBranchMemory(db, ns, branch, Base, current.OnBranch(branch));
                        var tail = ReadTail(db, ns, key);
                        if (tail == null) continue;
                        InsertEntry(db, EngramStore.ForkedEntry(tail.ToLogTail(), current, ns, key, actor, now, branch, reason));
                    }
                return record;
            });
        }

        public BranchInfo RemoveBranch(string ns, string branch)
        {
            ns = Names.NormalizeNamespace(ns);
            branch = Names.NormalizeBranch(branch);
            EnsureExists();
            var info = GetBranches(ns).FirstOrDefault(b => b.Record.Name == branch)
                       ?? throw new EngramException(EngramErrorIds.BranchNotFound, EngramErrorKind.NotFound, $"There is no branch '{branch}' of namespace '{ns}'.", ns + "@" + branch);
            Write(db =>
            {
                if (BranchRow(db, ns, branch) == null) throw StoreErrors.BranchMissing(ns, branch);
                db.Exec("DELETE FROM branch_memories WHERE ns = @ns AND branch = @b", ("ns", ns), ("b", branch));
                db.Exec("DELETE FROM branches WHERE ns = @ns AND name = @b", ("ns", ns), ("b", branch));
            });
            return info;
        }

        // ------------------------------------------------------------------ writes on a branch

        private SetResult SetOnBranch(SetRequest request, CheckedWrite w)
        {
            string ns = w.Namespace, branch = w.Branch, key = w.Key, actor = w.Actor, contentHash = w.ContentHash;
            var tags = w.Tags;
            EnsureExists();
            return Write(db =>
            {
                var record = BranchRow(db, ns, branch) ?? throw StoreErrors.BranchMissing(ns, branch);
                if (!record.Covers(key)) throw StoreErrors.NotInBranch(ns, branch, key);
                var tail = ReadTail(db, ns, key);
                bool tracked = EngramStore.Tracked(request, tail != null, Config, ns, key, mainLine: false);
                var main = MainRow(db, ns, key);
                var sources = EngramStore.ResolveSources(this, request);

                var view = ViewRaw(db, ns, branch, key);
                var live = view != null && !view.Deleted ? view : null;
                ConditionalWrite.Check(request, live, ns, key, branch);
                var newTags = tags ?? live?.Tags ?? Array.Empty<string>();
                if (live != null && !request.IsCognitive && live.ContentHash == contentHash && newTags.SequenceEqual(live.Tags, StringComparer.Ordinal))
                    return new SetResult(live, false, null);

                var now = DateTime.UtcNow;
                var id = view != null && view.Id.Length > 0 ? view.Id : main?.Id ?? tail?.MemoryId ?? Guid.NewGuid().ToString("N");
                var version = (view?.Version ?? 0) + 1;
                var written = new MemoryRecord(id, ns, key, request.Value, newTags, version, live?.CreatedUtc ?? now, now, branch);
                bool firstChange = BranchMemory(db, ns, branch, Mem, key) == null;
                PutBranchMemory(db, ns, branch, Mem, written);
                if (!tracked) return new SetResult(written, true, null);
                var entries = new List<ProvenanceEntry>();
                var logTail = tail?.ToLogTail();
                if (firstChange && record.Keys == null && live != null)
                    entries.Add(EngramStore.ForkedEntry(logTail, live, ns, key, actor, now, branch, null));
                entries.Add(EngramStore.NewEntry(logTail, id, ns, key, request.Action ?? (live == null ? ProvenanceActions.Created : ProvenanceActions.Revised),
                    actor, now, branch, version, request.Reason, contentHash, request.Value, details: EngramStore.CognitionDetails(request, sources), previous: entries.LastOrDefault()));
                foreach (var e in entries) InsertEntry(db, e);
                InsertDerived(db, sources, entries.Last());
                return new SetResult(written, true, entries.Last());
            });
        }

        private ProvenanceEntry? RemoveOnBranch(string ns, string key, string? actor, string? reason, string branch)
        {
            ns = Names.NormalizeNamespace(ns);
            Names.ValidateKey(key);
            actor = EngramStore.NormalizeActor(actor);
            EnsureExists();
            return Write(db =>
            {
                var record = BranchRow(db, ns, branch) ?? throw StoreErrors.BranchMissing(ns, branch);
                if (!record.Covers(key)) throw StoreErrors.NotInBranch(ns, branch, key);
                var view = ViewRaw(db, ns, branch, key);
                if (view == null || view.Deleted) throw EngramStore.NotFound(ns, key);
                PutBranchMemory(db, ns, branch, Mem, MemoryRecord.Tombstone(view.Id, ns, key, view.Version, branch));
                var tail = ReadTail(db, ns, key);
                if (tail == null) return null;
                var entry = EngramStore.NewEntry(tail.ToLogTail(), view.Id, ns, key, ProvenanceActions.Deleted, actor, DateTime.UtcNow, branch, view.Version, reason, null, null, hasValue: false);
                InsertEntry(db, entry);
                return entry;
            });
        }

        // ------------------------------------------------------------------ merge

        public MergeResult PlanMerge(string ns, string branch, IReadOnlyList<string>? keyPatterns = null, MergeStrategy strategy = MergeStrategy.Fail,
            Func<string, bool>? keyFilter = null)
        {
            ns = Names.NormalizeNamespace(ns);
            branch = Names.NormalizeBranch(branch);
            EnsureExists();
            return OnBranch(ns, branch, (db, _) => Plan(db, ns, branch, strategy, keyFilter));
        }

        private MergeResult Plan(Db db, string ns, string branch, MergeStrategy strategy, Func<string, bool>? keyFilter)
        {
            if (BranchRow(db, ns, branch) == null) throw StoreErrors.BranchMissing(ns, branch);
            var items = new List<MergeItem>();
            var changes = db.Query("SELECT key, doc FROM branch_memories WHERE ns = @ns AND branch = @b AND kind = 'mem'", r => (key: r.GetString(0), doc: r.GetString(1)), ("ns", ns), ("b", branch));
            foreach (var (key, doc) in changes.OrderBy(c => Names.EncodeKey(c.key), StringComparer.Ordinal))
            {
                if (keyFilter != null && !keyFilter(key)) continue;
                var snapshot = BranchMemory(db, ns, branch, Base, key);
                items.Add(EngramStore.PlanItem(key, snapshot != null, snapshot, MainRow(db, ns, key), ParseMemory(doc, ns, key, branch), strategy));
            }
            return new MergeResult(ns, branch, strategy, items);
        }

        public MergeResult Merge(string ns, string branch, MergeStrategy strategy = MergeStrategy.Fail, string? actor = null, string? reason = null,
            Func<string, bool>? keyFilter = null, Action<int, int, string>? progress = null)
        {
            ns = Names.NormalizeNamespace(ns);
            branch = Names.NormalizeBranch(branch);
            actor = EngramStore.NormalizeActor(actor);
            EnsureExists();
            return Write(db =>
            {
                var plan = Plan(db, ns, branch, strategy, keyFilter);
                if (strategy == MergeStrategy.Fail && plan.Conflicts.Any()) throw new MergeConflictException(plan);
                var now = DateTime.UtcNow;
                int done = 0;
                foreach (var item in plan.Items)
                {
                    progress?.Invoke(++done, plan.Items.Count, item.Key);
                    bool take = item.Outcome == MergeOutcome.Merged || (item.Outcome == MergeOutcome.Conflict && strategy == MergeStrategy.Theirs);
                    if (take) TakeTheirs(db, ns, branch, item, actor, reason, now);
                    else if (item.Outcome == MergeOutcome.Conflict && strategy == MergeStrategy.ConflictBranch)
                    {
                        var name = EngramStore.ConflictBranchName(branch, item, n => BranchRow(db, ns, Names.NormalizeBranch(n)) != null);
                        ConflictBranch(db, ns, name, branch, item, actor, now);
                        item.Resolution = "conflict-branch:" + name;
                        plan.ConflictBranches.Add(name);
                    }
                    // The branch is caught up for this key: drop its pending change and merge base.
                    DeleteBranchMemory(db, ns, branch, Mem, item.Key);
                    DeleteBranchMemory(db, ns, branch, Base, item.Key);
                }
                plan.Applied = true;
                return plan;
            });
        }

        private void TakeTheirs(Db db, string ns, string branch, MergeItem item, string actor, string? reason, DateTime now)
        {
            var key = item.Key;
            var ours = item.Ours;
            var theirs = item.Theirs;
            var tail = ReadTail(db, ns, key);
            bool tracked = tail != null || Config.IsTracked(ns);
            KeepBases(db, ns, key, ours, exceptBranch: branch);
            var details = new EngramMap(MapKind.Ordered)
            {
                { "from", branch },
                { "oursVersion", ours?.Version },
                { "theirsVersion", theirs?.Version },
                { "baseVersion", item.Base?.Version },
            };
            if (theirs == null)
            {
                if (ours == null) return;
                DeleteMain(db, ns, key);
                if (tracked)
                    InsertEntry(db, EngramStore.NewEntry(tail?.ToLogTail(), ours.Id, ns, key, ProvenanceActions.Deleted, actor, now, Names.DefaultBranch,
                        ours.Version, reason, null, null, hasValue: false, details: details));
                return;
            }
            int? lastMain = ours == null && tail != null ? LastMainVersion(db, ns, key) : null;
            int version = ours != null ? ours.Version + 1 : lastMain.HasValue ? lastMain.Value + 1 : Math.Max(1, theirs.Version);
            var id = ours?.Id ?? theirs.Id;
            var merged = new MemoryRecord(id, ns, key, theirs.Value, theirs.Tags, version, ours?.CreatedUtc ?? theirs.CreatedUtc, now);
            PutMain(db, merged);
            if (tracked)
                InsertEntry(db, EngramStore.NewEntry(tail?.ToLogTail(), id, ns, key, ProvenanceActions.Merged, actor, now, Names.DefaultBranch,
                    version, reason, merged.ContentHash, theirs.Value, details: details));
        }

        private void ConflictBranch(Db db, string ns, string name, string fromBranch, MergeItem item, string actor, DateTime now)
        {
            var why = $"conflict while merging '{fromBranch}' into main";
            var record = new BranchRecord(name, ns, now, actor, why, new[] { item.Key });
            db.Exec("INSERT INTO branches (ns, name, doc) VALUES (@ns, @b, @doc)", ("ns", ns), ("b", name), ("doc", record.ToYaml()));
            PutBranchMemory(db, ns, name, Base, item.Ours?.OnBranch(name) ?? MemoryRecord.Tombstone("", ns, item.Key, 0, name));
            var theirs = item.Theirs;
            var id = theirs?.Id ?? item.Ours?.Id ?? "";
            PutBranchMemory(db, ns, name, Mem, theirs != null
                ? new MemoryRecord(theirs.Id, ns, item.Key, theirs.Value, theirs.Tags, (item.Ours?.Version ?? 0) + 1, theirs.CreatedUtc, now, name)
                : MemoryRecord.Tombstone(id, ns, item.Key, item.Ours?.Version ?? 0, name));
            var tail = ReadTail(db, ns, item.Key);
            if (tail == null || item.Ours == null) return;
            InsertEntry(db, EngramStore.ForkedEntry(tail.ToLogTail(), item.Ours, ns, item.Key, actor, now, name, why, fromBranch));
        }
    }
}
