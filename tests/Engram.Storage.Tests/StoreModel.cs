using System;
using System.Collections.Generic;
using System.Linq;
using Engram.Core;
using Engram.Core.Values;

namespace Engram.Storage.Tests
{
    /// <summary>
    /// A small, pure, in-memory model of what a store must hold, for the property test (<see cref="StorePropertyTest"/>):
    /// the main line's memories, every memory's history (action, branch, version, value hash, actor, reason, id) and the
    /// branches (covered keys, pending changes, merge bases). Each operation either changes a copy of the model, or is
    /// refused with the error id the store must give (and then changes nothing). Memory ids the store makes up are
    /// placeholders ("?1", "?2", …) bound to the real id when first seen.
    /// </summary>
    public sealed class StoreModel
    {
        public sealed class Mem
        {
            public string Id = "";
            public object? Value;
            public string Hash = "";
            public string[] Tags = Array.Empty<string>();
            public int Version;
            public bool Deleted;

            public Mem Copy() => (Mem)MemberwiseClone();
            public static Mem Tombstone(string id, int version) => new Mem { Id = id, Version = version, Deleted = true };
        }

        public sealed class Entry
        {
            public string Action = "";
            public string Branch = Names.DefaultBranch;
            public int Version;
            public bool HasValue;
            public string? Hash;
            public string Id = "";
            public string Actor = "";
            public string? Reason;
            public object? Value;
            public override string ToString() => $"{Action}@{Branch} v{Version}{(HasValue ? " value" : "")} id={Id} by {Actor}{(Reason == null ? "" : " (" + Reason + ")")}";
        }

        public sealed class Branch
        {
            public string Name = "";
            public List<string>? Keys;
            public SortedDictionary<string, Mem> Overlay = new SortedDictionary<string, Mem>(StringComparer.Ordinal);
            public SortedDictionary<string, Mem> Base = new SortedDictionary<string, Mem>(StringComparer.Ordinal);
            public bool Covers(string key) => Keys == null || Keys.Contains(key);

            public Branch Copy() => new Branch
            {
                Name = Name, Keys = Keys?.ToList(),
                Overlay = new SortedDictionary<string, Mem>(Overlay.ToDictionary(kv => kv.Key, kv => kv.Value.Copy()), StringComparer.Ordinal),
                Base = new SortedDictionary<string, Mem>(Base.ToDictionary(kv => kv.Key, kv => kv.Value.Copy()), StringComparer.Ordinal),
            };
        }

        public readonly HashSet<string> TrackedNamespaces;
        public Dictionary<(string ns, string key), Mem> Main = new Dictionary<(string, string), Mem>();
        public Dictionary<(string ns, string key), List<Entry>> History = new Dictionary<(string, string), List<Entry>>();
        /// <summary>Per namespace, the branches by name.</summary>
        public Dictionary<string, SortedDictionary<string, Branch>> Branches = new Dictionary<string, SortedDictionary<string, Branch>>();
        private int _nextPlaceholder;

        public StoreModel(IEnumerable<string> trackedNamespaces) { TrackedNamespaces = new HashSet<string>(trackedNamespaces, StringComparer.Ordinal); }

        public StoreModel Copy()
        {
            var m = new StoreModel(TrackedNamespaces) { _nextPlaceholder = _nextPlaceholder };
            foreach (var kv in Main) m.Main[kv.Key] = kv.Value.Copy();
            foreach (var kv in History) m.History[kv.Key] = kv.Value.ToList();
            foreach (var kv in Branches)
                m.Branches[kv.Key] = new SortedDictionary<string, Branch>(kv.Value.ToDictionary(b => b.Key, b => b.Value.Copy()), StringComparer.Ordinal);
            return m;
        }

        public IEnumerable<Branch> BranchesOf(string ns) => Branches.TryGetValue(ns, out var b) ? b.Values : Enumerable.Empty<Branch>();
        public Branch? FindBranch(string ns, string name) => Branches.TryGetValue(ns, out var b) && b.TryGetValue(name, out var r) ? r : null;
        private string NewId() => "?" + (++_nextPlaceholder);
        private List<Entry> Hist(string ns, string key) => History.TryGetValue((ns, key), out var h) ? h : (History[(ns, key)] = new List<Entry>());
        public bool HasHistory(string ns, string key) => History.TryGetValue((ns, key), out var h) && h.Count > 0;
        public Mem? MainOf(string ns, string key) => Main.TryGetValue((ns, key), out var m) ? m : null;

        private static string[] NormalizeTags(string[]? tags) =>
            tags?.Select(t => t.Trim()).Where(t => t.Length > 0).Distinct(StringComparer.Ordinal).ToArray() ?? Array.Empty<string>();

        /// <summary>The memory as a branch sees it, tombstones included (its change, else its merge base, else main).</summary>
        public Mem? ViewRaw(string ns, Branch b, string key) =>
            b.Overlay.TryGetValue(key, out var o) ? o : b.Base.TryGetValue(key, out var s) ? s : MainOf(ns, key);

        public static Mem? Live(Mem? m) => m == null || m.Deleted ? null : m;

        public IReadOnlyList<string> MainKeys(string ns) => Main.Keys.Where(k => k.ns == ns).Select(k => k.key).OrderBy(k => k, StringComparer.Ordinal).ToList();

        public IReadOnlyList<string> BranchKeys(string ns, Branch b)
        {
            var own = new Dictionary<string, bool>(StringComparer.Ordinal);
            foreach (var kv in b.Overlay) own[kv.Key] = !kv.Value.Deleted;
            foreach (var kv in b.Base) if (!own.ContainsKey(kv.Key)) own[kv.Key] = !kv.Value.Deleted;
            var keys = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var k in b.Keys ?? (IEnumerable<string>)MainKeys(ns)) if (!own.ContainsKey(k) && MainOf(ns, k) != null) keys.Add(k);
            foreach (var kv in own) if (kv.Value) keys.Add(kv.Key);
            return keys.ToList();
        }

        /// <summary>Branches of <paramref name="ns"/> that read <paramref name="key"/> from main and keep no merge base for it: they get one.</summary>
        private void SnapshotForBranches(string ns, string key, Mem? current, string? except = null)
        {
            foreach (var b in BranchesOf(ns))
                if (b.Name != except && b.Covers(key) && !b.Base.ContainsKey(key))
                    b.Base[key] = current?.Copy() ?? Mem.Tombstone("", 0);
        }

        private static int? LastMainVersion(List<Entry> h)
        {
            for (int i = h.Count - 1; i >= 0; i--) if (h[i].Branch == Names.DefaultBranch) return h[i].Version;
            return null;
        }

        private void Append(string ns, string key, Entry e) => Hist(ns, key).Add(e);

        private static Entry Forked(Mem from, string branch, string actor, string? reason) =>
            new Entry { Action = "forked", Branch = branch, Version = from.Version, Hash = from.Hash, Id = from.Id, Actor = actor, Reason = reason };

        // ------------------------------------------------------------------ operations: null = applied, else the error id

        /// <summary>Set (and Restore, with <paramref name="action"/> "restored"): on main or on a branch.</summary>
        public string? Set(string ns, string key, string? branch, object? value, string[]? tags, bool? track, string actor, string? reason,
            string? action, out bool changed)
        {
            changed = false;
            var hash = ValueCodec.ContentHash(value);
            var newTagsIn = tags == null ? null : NormalizeTags(tags);
            bool hasHistory = HasHistory(ns, key);
            if (branch != null)
            {
                var b = FindBranch(ns, branch);
                if (b == null) return EngramErrorIds.BranchNotFound;
                if (!b.Covers(key)) return EngramErrorIds.KeyNotInBranch;
                if (hasHistory && track == false) return EngramErrorIds.ProvenanceRequired;
                bool tracked = hasHistory || action != null || (track ?? TrackedNamespaces.Contains(ns));
                var main = MainOf(ns, key);
                var view = ViewRaw(ns, b, key);
                var live = Live(view);
                var newTags = newTagsIn ?? live?.Tags ?? Array.Empty<string>();
                if (live != null && action == null && live.Hash == hash && newTags.SequenceEqual(live.Tags, StringComparer.Ordinal)) return null;
                var h = HasHistory(ns, key) ? History[(ns, key)] : null;
                var id = view != null && view.Id.Length > 0 ? view.Id : main?.Id ?? (tracked && h != null ? h.Last().Id : NewId());
                var version = (view?.Version ?? 0) + 1;
                bool firstChange = !b.Overlay.ContainsKey(key);
                b.Overlay[key] = new Mem { Id = id, Value = value, Hash = hash, Tags = newTags, Version = version };
                if (tracked)
                {
                    if (firstChange && b.Keys == null && live != null) Append(ns, key, Forked(live, b.Name, actor, null));
                    Append(ns, key, new Entry { Action = action ?? (live == null ? "created" : "revised"), Branch = b.Name, Version = version, HasValue = true,
                        Hash = hash, Value = value, Id = id, Actor = actor, Reason = reason });
                }
                changed = true;
                return null;
            }
            {
                if (hasHistory && track == false) return EngramErrorIds.ProvenanceRequired;
                bool tracked = hasHistory || action != null || (track ?? TrackedNamespaces.Contains(ns));
                var current = MainOf(ns, key);
                var newTags = newTagsIn ?? current?.Tags ?? Array.Empty<string>();
                if (current != null && action == null && current.Hash == hash && newTags.SequenceEqual(current.Tags, StringComparer.Ordinal))
                {
                    if (hasHistory || track != true) return null;
                    // -TrackProvenance on an unchanged untracked memory: its history starts now, at its current version.
                    Append(ns, key, new Entry { Action = "tracked", Version = current.Version, HasValue = true, Hash = current.Hash, Value = current.Value,
                        Id = current.Id, Actor = actor, Reason = reason });
                    return null;
                }
                var h = HasHistory(ns, key) ? History[(ns, key)] : null;
                string id;
                int version;
                if (current != null) { id = current.Id; version = current.Version + 1; }
                else if (tracked && h != null) { id = h.Last().Id; version = (LastMainVersion(h) ?? 0) + 1; }
                else { id = NewId(); version = 1; }
                SnapshotForBranches(ns, key, current);
                Main[(ns, key)] = new Mem { Id = id, Value = value, Hash = hash, Tags = newTags, Version = version };
                if (tracked)
                {
                    Append(ns, key, new Entry { Action = action ?? (current == null ? "created" : "revised"), Version = version, HasValue = true, Hash = hash,
                        Value = value, Id = id, Actor = actor, Reason = reason });
                }
                changed = true;
                return null;
            }
        }


        public string? Remove(string ns, string key, string? branch, string actor, string? reason)
        {
            bool logExists = HasHistory(ns, key);
            if (branch != null)
            {
                var b = FindBranch(ns, branch);
                if (b == null) return EngramErrorIds.BranchNotFound;
                if (!b.Covers(key)) return EngramErrorIds.KeyNotInBranch;
                var view = ViewRaw(ns, b, key);
                if (view == null || view.Deleted) return EngramErrorIds.MemoryNotFound;
                b.Overlay[key] = Mem.Tombstone(view.Id, view.Version);
                if (logExists)
                {
                    Append(ns, key, new Entry { Action = "deleted", Branch = b.Name, Version = view.Version, Id = view.Id, Actor = actor, Reason = reason });
                }
                return null;
            }
            var current = MainOf(ns, key);
            if (current == null) return EngramErrorIds.MemoryNotFound;
            SnapshotForBranches(ns, key, current);
            Main.Remove((ns, key));
            if (logExists)
            {
                Append(ns, key, new Entry { Action = "deleted", Version = current.Version, Id = current.Id, Actor = actor, Reason = reason });
            }
            return null;
        }

        public string? Restore(string ns, string key, int version, string? branch, string actor, string? reason, out bool changed)
        {
            changed = false;
            object? old;
            if (!HasHistory(ns, key))
            {
                Mem? current;
                if (branch == null) current = MainOf(ns, key);
                else
                {
                    var b = FindBranch(ns, branch);
                    if (b == null) return EngramErrorIds.BranchNotFound;
                    current = b.Covers(key) ? Live(ViewRaw(ns, b, key)) : null;
                }
                if (current == null) return EngramErrorIds.MemoryNotFound;
                if (current.Version != version) return EngramErrorIds.VersionNotFound;
                old = current.Value;
            }
            else
            {
                Entry? found = null;
                var b = branch ?? Names.DefaultBranch;
                foreach (var e in History[(ns, key)])
                {
                    if (e.Version != version || !e.HasValue) continue;
                    if (e.Branch == b || (found == null && e.Branch == Names.DefaultBranch)) found = e;
                }
                if (found == null) return EngramErrorIds.VersionNotFound;
                old = found.Value;
            }
            Mem? now;
            if (branch == null) now = MainOf(ns, key);
            else
            {
                var b = FindBranch(ns, branch);
                if (b == null) return EngramErrorIds.BranchNotFound;
                now = b.Covers(key) ? Live(ViewRaw(ns, b, key)) : null;
            }
            if (now != null && now.Hash == ValueCodec.ContentHash(old)) return null;
            return Set(ns, key, branch, old, now?.Tags, null, actor, reason, "restored", out changed);
        }

        public string? Fork(string ns, string branch, IReadOnlyList<string>? keys, string actor, string? reason)
        {
            if (branch == Names.DefaultBranch) return EngramErrorIds.InvalidBranch;
            if (FindBranch(ns, branch) != null) return EngramErrorIds.BranchAlreadyExists;
            var distinct = keys?.Distinct(StringComparer.Ordinal).ToList();
            if (distinct != null && distinct.Any(k => MainOf(ns, k) == null)) return EngramErrorIds.MemoryNotFound;
            var b = new Branch { Name = branch, Keys = distinct };
            if (distinct != null)
                foreach (var k in distinct)
                {
                    var current = MainOf(ns, k)!;
                    b.Base[k] = current.Copy();
                    if (HasHistory(ns, k))
                    {
                        Append(ns, k, Forked(current, branch, actor, reason));
                    }
                }
            if (!Branches.TryGetValue(ns, out var all)) Branches[ns] = all = new SortedDictionary<string, Branch>(StringComparer.Ordinal);
            all[branch] = b;
            return null;
        }

        public string? RemoveBranch(string ns, string branch)
        {
            if (FindBranch(ns, branch) == null) return EngramErrorIds.BranchNotFound;
            Branches[ns].Remove(branch);
            return null;
        }

        private static string Fingerprint(Mem? m) => m == null || m.Deleted ? "absent" : m.Hash + "|" + string.Join("\u001f", m.Tags);

        /// <summary>Merges a branch into main. <paramref name="realId"/> gives a placeholder's bound id (conflict branches are named by it).</summary>
        public string? Merge(string ns, string branch, MergeStrategy strategy, string actor, string? reason, Func<string, string> realId,
            List<string> conflictBranches)
        {
            var b = FindBranch(ns, branch);
            if (b == null) return EngramErrorIds.BranchNotFound;
            var items = new List<(string key, Mem? baseRec, Mem? ours, Mem? theirs, MergeOutcome outcome)>();
            foreach (var key in b.Overlay.Keys.OrderBy(k => Names.EncodeKey(k), StringComparer.Ordinal))
            {
                bool hasSnapshot = b.Base.TryGetValue(key, out var snapshot);
                var ours = MainOf(ns, key);
                var baseRec = hasSnapshot ? Live(snapshot) : ours;
                var theirs = Live(b.Overlay[key]);
                bool theirsChanged = Fingerprint(theirs) != Fingerprint(baseRec);
                bool oursChanged = hasSnapshot && Fingerprint(ours) != Fingerprint(baseRec);
                var outcome = !theirsChanged ? MergeOutcome.Unchanged : !oursChanged ? MergeOutcome.Merged
                    : Fingerprint(ours) == Fingerprint(theirs) ? MergeOutcome.Unchanged : MergeOutcome.Conflict;
                items.Add((key, baseRec, ours, theirs, outcome));
            }
            if (strategy == MergeStrategy.Fail && items.Any(i => i.outcome == MergeOutcome.Conflict)) return EngramErrorIds.MergeConflict;
            var existing = new HashSet<string>(BranchesOf(ns).Select(x => x.Name), StringComparer.Ordinal);
            var newBranches = new List<Branch>();
            foreach (var (key, baseRec, ours, theirs, outcome) in items)
            {
                bool take = outcome == MergeOutcome.Merged || (outcome == MergeOutcome.Conflict && strategy == MergeStrategy.Theirs);
                if (take) TakeTheirs(ns, b.Name, key, ours, theirs, actor, reason);
                else if (outcome == MergeOutcome.Conflict && strategy == MergeStrategy.ConflictBranch)
                {
                    var id = realId(theirs?.Id ?? ours?.Id ?? baseRec?.Id ?? "");
                    var stem = b.Name + "-conflict-" + (id.Length >= 8 ? id.Substring(0, 8) : Names.EncodeKey(key).Replace("^", "").Replace("_", "").Replace("~", ""));
                    if (stem.Length > Names.MaxNamespaceLength - 4) stem = stem.Substring(0, Names.MaxNamespaceLength - 4);
                    var name = stem;
                    for (int i = 2; existing.Contains(name); i++) name = stem + "-" + i;
                    name = Names.NormalizeBranch(name);
                    var cb = new Branch { Name = name, Keys = new List<string> { key } };
                    cb.Base[key] = ours?.Copy() ?? Mem.Tombstone("", 0);
                    cb.Overlay[key] = theirs != null
                        ? new Mem { Id = theirs.Id, Value = theirs.Value, Hash = theirs.Hash, Tags = theirs.Tags, Version = (ours?.Version ?? 0) + 1 }
                        : Mem.Tombstone(theirs?.Id ?? ours?.Id ?? "", ours?.Version ?? 0);
                    if ((HasHistory(ns, key)) && ours != null)
                    {
                        Append(ns, key, Forked(ours, name, actor, $"conflict while merging '{b.Name}' into main"));
                    }
                    newBranches.Add(cb);
                    conflictBranches.Add(name);
                }
                b.Overlay.Remove(key);
                b.Base.Remove(key);
            }
            foreach (var cb in newBranches) Branches[ns][cb.Name] = cb;
            return null;
        }

        private void TakeTheirs(string ns, string branch, string key, Mem? ours, Mem? theirs, string actor, string? reason)
        {
            bool logExists = HasHistory(ns, key);
            bool tracked = logExists || TrackedNamespaces.Contains(ns);
            SnapshotForBranches(ns, key, ours, except: branch);
            if (theirs == null)
            {
                if (ours == null) return;
                Main.Remove((ns, key));
                if (tracked) { Append(ns, key, new Entry { Action = "deleted", Version = ours.Version, Id = ours.Id, Actor = actor, Reason = reason }); }
                return;
            }
            int? lastMain = ours == null && HasHistory(ns, key) ? LastMainVersion(History[(ns, key)]) : null;
            int version = ours != null ? ours.Version + 1 : lastMain.HasValue ? lastMain.Value + 1 : Math.Max(1, theirs.Version);
            var id = ours?.Id ?? theirs.Id;
            Main[(ns, key)] = new Mem { Id = id, Value = theirs.Value, Hash = theirs.Hash, Tags = theirs.Tags, Version = version };
            if (tracked)
            {
                Append(ns, key, new Entry { Action = "merged", Version = version, HasValue = true, Hash = theirs.Hash, Value = theirs.Value, Id = id,
                    Actor = actor, Reason = reason });
            }
        }
    }
}
