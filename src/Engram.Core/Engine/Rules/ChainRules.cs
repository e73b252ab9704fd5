using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Engram.Core.Provenance;
using Engram.Core.Storage;
using Engram.Core.Values;

namespace Engram.Core.Engine.Rules
{
    /// <summary>What a walk over one history (<see cref="ChainRules.CheckChain"/>) found.</summary>
    internal sealed class ChainWalk
    {
        public bool Broken;
        public ProvenanceEntry? Last, LastMain;
        /// <summary>The main-line action before the last main-line entry (squashes included).</summary>
        public string? MainActionBeforeLast;
        /// <summary>The newest main-line entry that holds its value (checked against its content hash; kept without it).</summary>
        public ProvenanceEntry? LastMainValued;
        /// <summary>When the memory's current life on main began: its first main-line entry after the last deletion.</summary>
        public DateTime? LifeStartUtc;
    }

    /// <summary>The rules a history is verified by, whatever the storage: its hash chain, sequence, versions and values
    /// (<see cref="CheckChain"/>), rebuilding a lost memory from it, and anchors.</summary>
    internal static class ChainRules
    {
        /// <summary>
        /// Walks one history oldest first and checks it: sequence without gaps, every hash, every link to the previous
        /// entry (squashed runs included), the memory it names, stored values against their content hashes. The first
        /// problem is added to <paramref name="report"/> and ends the walk (<see cref="ChainWalk.Broken"/>). Shared by
        /// every backend.
        /// </summary>
        /// <summary>Entries whose value has at least this many characters are followed by a full garbage collection.</summary>
        internal const int LargeEntryChars = 4 * 1024 * 1024;

        internal static ChainWalk CheckChain(IEnumerable<ProvenanceEntry> entries, string ns, string key, string? path, StoreReport report)
        {
            var walk = new ChainWalk();
            long expected = 1;
            string? prevHash = null;
            string? mainAction = null; // main-line actions, squashes included
            int? mainVersion = null;   // the main line's version so far (unknown after a squash)
            try
            {
                foreach (var e in entries)
                {
                    report.EntriesChecked++;
                    if (e.Action == ProvenanceActions.Squashed)
                    {
                        // Retention replaced entries firstSeq..Seq by this one; it records the hash that preceded them and
                        // the hash of the last of them, which the next entry links to.
                        var firstSeq = e.Details?.TryGetValue("firstSeq", out var fsq) == true && fsq != null ? Convert.ToInt64(fsq, System.Globalization.CultureInfo.InvariantCulture) : 1;
                        var firstPrev = e.Details?.TryGetValue("firstPrevHash", out var fph) == true ? fph as string : null;
                        if (firstSeq != expected || firstPrev != prevHash || !e.VerifyHash() || !(e.Details?.TryGetValue("lastHash", out var lh) == true && lh is string))
                        {
                            report.Findings.Add(new StoreFinding(FindingSeverity.Error, "BrokenChain", $"The history of '{key}' in '{ns}' has an invalid squashed entry {e.Seq}.", path, ns, key, e.Seq));
                            return Broken(walk);
                        }
                        prevHash = (string)e.Details!["lastHash"]!;
                        expected = e.Seq + 1;
                        walk.Last = e;
                        mainAction = e.Action;
                        mainVersion = null;
                        walk.LastMainValued = null;
                        continue;
                    }
                    if (e.Seq != expected)
                    {
                        report.Findings.Add(new StoreFinding(FindingSeverity.Error, "SequenceGap", $"The history of '{key}' in '{ns}' has entry {e.Seq} where entry {expected} belongs (entries removed, reordered or repeated?).", path, ns, key, e.Seq));
                        return Broken(walk);
                    }
                    if (!e.VerifyHash() || e.PrevHash != prevHash || e.Namespace != ns || e.Key != key)
                    {
                        var why = !e.VerifyHash() ? "its hash does not match its contents (edited?)"
                            : e.PrevHash != prevHash ? "it does not link to the previous entry (removed or reordered entries?)"
                            : "it names another memory";
                        report.Findings.Add(new StoreFinding(FindingSeverity.Error, "BrokenChain", $"The history of '{key}' in '{ns}' is broken at entry {e.Seq}: {why}.", path, ns, key, e.Seq));
                        return Broken(walk);
                    }
                    if (e.HasValue && e.ContentHash != null && ValueCodec.ContentHash(e.Value) != e.ContentHash)
                    {
                        report.Findings.Add(new StoreFinding(FindingSeverity.Error, "TamperedValue", $"The value stored with entry {e.Seq} of '{key}' in '{ns}' does not match its content hash.", path, ns, key, e.Seq));
                        return Broken(walk);
                    }
                    if (e.Branch == Names.DefaultBranch && mainVersion.HasValue && (e.Version < mainVersion.Value || e.Version > mainVersion.Value + 1))
                    {
                        // Each main-line entry keeps the version (deleted, connected, repaired…) or adds one.
                        report.Findings.Add(new StoreFinding(FindingSeverity.Error, "VersionGap", $"The history of '{key}' in '{ns}' goes from version {mainVersion} to {e.Version} at entry {e.Seq}.", path, ns, key, e.Seq));
                        return Broken(walk);
                    }
                    bool large = e.Value is string text && text.Length >= LargeEntryChars;
                    // Checked: the walk keeps entries for their metadata only (HasValue still says which held a value; a
                    // rebuild reads the one it needs again), so one value at a time is in memory, however long the history.
                    e.Value = null;
                    // Reading a large entry leaves several copies of it as garbage on the large object heap, which the
                    // runtime frees only at a full collection: without one per large entry, a long history of large
                    // values would grow the process by every copy of every entry (30× the value for three entries).
                    if (large) GC.Collect(2, GCCollectionMode.Forced, blocking: true);
                    prevHash = e.Hash;
                    walk.Last = e;
                    if (e.Branch == Names.DefaultBranch)
                    {
                        walk.LastMain = e;
                        walk.MainActionBeforeLast = mainAction;
                        if (HistoryRules.IsFirstOrAfterDeletion(mainAction) && mainAction != ProvenanceActions.Squashed) walk.LifeStartUtc = e.TimestampUtc;
                        if (e.Action == ProvenanceActions.Deleted) walk.LastMainValued = null;
                        else if (e.HasValue) walk.LastMainValued = e;
                        mainAction = e.Action;
                        mainVersion = e.Version;
                    }
                    expected++;
                }
            }
            catch (EngramException ex)
            {
                report.Findings.Add(new StoreFinding(FindingSeverity.Error, ex.ErrorId == EngramErrorIds.UnsupportedFormatVersion ? "UnsupportedFormat" : "MalformedProvenance", ex.Message, path, ns, key, expected));
                return Broken(walk);
            }

            return walk;
        }

        /// <summary>
        /// <see cref="CheckChain"/> over one stored history, then what its layout disagrees with in the entries walked (a
        /// trailer: <c>TrailerMismatch</c>, which also ends the walk as broken). Shared by the verifier and by a file
        /// writer that cuts a dangling entry (only from a history that verifies).
        /// </summary>
        internal static ChainWalk CheckHistory(HistoryUnderCheck history, string ns, string key, StoreReport report, bool whole)
        {
            var walk = CheckChain(history.Entries(includeValues: true, whole), ns, key, history.Origin, report);
            if (history.LayoutMismatch is (long seq, string why))
            {
                report.Findings.Add(new StoreFinding(FindingSeverity.Error, "TrailerMismatch",
                    $"The history of '{key}' in '{ns}' has a trailer ('#~ …') that does not match entry {seq}: {why}." + RepairByHand, history.Origin, ns, key, seq));
                walk.Broken = true;
            }
            return walk;
        }

        /// <summary>The first thing wrong with a stored history (chain, sequence, versions, values, layout), or null.</summary>
        internal static StoreFinding? FirstProblem(HistoryUnderCheck history, string ns, string key)
        {
            var scratch = new StoreReport("");
            CheckHistory(history, ns, key, scratch, whole: false);
            return scratch.Findings.FirstOrDefault(f => f.Severity != FindingSeverity.Information);
        }

        /// <summary>How to deal with a damaged history, for findings (-Repair never changes one).</summary>
        internal const string RepairByHand = " -Repair does not change a damaged history: restore the .prov file from a backup, or move it out of the store"
            + " (the memory then continues untracked; its old history stays in the moved file).";

        private static ChainWalk Broken(ChainWalk walk)
        {
            walk.Broken = true;
            return walk;
        }

        /// <summary>
        /// Reports a missing (or, with <paramref name="damagedFile"/>, unreadable) memory whose history verified, saying
        /// whether -Repair can rebuild it and from which entry (<paramref name="source"/>, null when no entry holds the
        /// last main version's value). Returns the finding to mark repaired. Shared by every backend.
        /// </summary>
        internal static StoreFinding ReportRebuild(ChainWalk walk, string ns, string key, string path, StoreFinding? damagedFile, StoreReport report, out ProvenanceEntry? source)
        {
            var lastMain = walk.LastMain!;
            source = walk.LastMainValued != null && walk.LastMainValued.Version == lastMain.Version
                && walk.LastMainValued.ContentHash == lastMain.ContentHash ? walk.LastMainValued : null;
            string what = damagedFile != null ? "does not parse" : "is missing";
            string message = source != null
                ? $"The memory '{key}' in '{ns}' {what}; its history is intact: -Repair rebuilds it from entry {source.Seq} (version {source.Version}) and records that in a 'repaired' entry."
                : $"The memory '{key}' in '{ns}' {what}; its history is intact but no entry holds the value of version {lastMain.Version} (freed by retention?), so it cannot be rebuilt: restore it from a backup, or write the memory again with Set-EngramMemory (its history continues).";
            if (damagedFile == null)
            {
                var f = new StoreFinding(FindingSeverity.Error, "MissingMemory", message, path, ns, key, lastMain.Seq);
                report.Findings.Add(f);
                return f;
            }
            var replaced = new StoreFinding(damagedFile.Severity, damagedFile.Kind, damagedFile.Message + " " + message, damagedFile.Path,
                damagedFile.Namespace ?? ns, damagedFile.Key ?? key, lastMain.Seq);
            report.Findings[report.Findings.IndexOf(damagedFile)] = replaced;
            return replaced;
        }

        /// <summary>
        /// The memory rebuilt from <paramref name="source"/> (same id, value and version as the last main entry; created
        /// when its life on main began; no tags: history does not hold them) and the <c>repaired</c> entry that follows
        /// the history's newest entry (<paramref name="tailSeq"/>, <paramref name="tailHash"/>). Shared by every backend.
        /// </summary>
        internal static (MemoryRecord Record, ProvenanceEntry Entry) Rebuilt(ChainWalk walk, ProvenanceEntry source, string ns, string key, long tailSeq, string? tailHash, bool malformed)
        {
            var lastMain = walk.LastMain!;
            var record = new MemoryRecord(source.MemoryId, ns, key, source.Value, Array.Empty<string>(), lastMain.Version,
                walk.LifeStartUtc ?? source.TimestampUtc, source.TimestampUtc).WithContentHash(source.ContentHash!);
            var entry = WriteRules.NewEntry(tailSeq, tailHash, source.MemoryId, ns, key, ProvenanceActions.Repaired, WriteRules.NormalizeActor(null), DateTime.UtcNow, Names.DefaultBranch,
                lastMain.Version, $"rebuilt the memory from entry {source.Seq}: it {(malformed ? "did not parse" : "was missing")}", source.ContentHash, null, hasValue: false,
                details: new EngramMap(MapKind.Ordered) { { "from", source.Seq }, { "file", malformed ? "malformed" : "missing" } });
            return (record, entry);
        }

        /// <summary>
        /// Refuses a head that cannot prove anything (InvalidAnchor): no entries (it would verify healthy against any
        /// store, even one whose histories were all deleted), an entry without a key or hash, a sequence number below 1,
        /// or a key twice. Shared by every backend, before anything is read.
        /// </summary>
        internal static void CheckAnchorHead(ProvenanceHead head)
        {
            if (head == null) throw new ArgumentNullException(nameof(head));
            if (head.Entries.Count == 0)
                throw InvalidAnchor($"The anchor for namespace '{head.Namespace}' has no entries, so it proves nothing (it would verify against any history, or none). " +
                    "Take an anchor with Get-EngramProvenance -Head once the namespace has tracked memories.", head.Namespace);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var e in head.Entries)
            {
                if (string.IsNullOrEmpty(e.Key) || string.IsNullOrEmpty(e.Hash) || e.Seq < 1)
                    throw InvalidAnchor($"The anchor for namespace '{head.Namespace}' has an entry without a key, a hash or a sequence number of 1 or more ('{e.Key}', {e.Seq}).", e.Key);
                if (!seen.Add(e.Key))
                    throw InvalidAnchor($"The anchor for namespace '{head.Namespace}' names '{e.Key}' twice.", e.Key);
            }
        }

        internal static EngramException InvalidAnchor(string message, object? target) =>
            new EngramException(EngramErrorIds.InvalidAnchor, EngramErrorKind.InvalidArgument, message, target);

        /// <summary>Checks one anchored entry against a (verified) history: present with the same hash, or covered by a squash. Shared by every backend.</summary>
        internal static void CheckAnchor(HeadEntry anchored, List<ProvenanceEntry> entries, string ns, string path, StoreReport report)
        {
            var match = entries.FirstOrDefault(e => e.Seq == anchored.Seq && e.Action != ProvenanceActions.Squashed);
            // The squashed entry (if any) whose run covers the anchored entry.
            var squash = entries.FirstOrDefault(e => e.Action == ProvenanceActions.Squashed && e.Seq >= anchored.Seq
                && Convert.ToInt64(e.Details?["firstSeq"] ?? 1L, CultureInfo.InvariantCulture) <= anchored.Seq);
            if (match != null)
            {
                if (match.Hash != anchored.Hash)
                    report.Findings.Add(new StoreFinding(FindingSeverity.Error, "AnchorMismatch",
                        $"Entry {anchored.Seq} of '{anchored.Key}' in '{ns}' was rewritten since it was anchored (its hash changed).", path, ns, anchored.Key, anchored.Seq));
            }
            else if (squash != null && anchored.Seq <= squash.Seq)
            {
                bool ok = anchored.Seq == squash.Seq && squash.Details?["lastHash"] as string == anchored.Hash;
                if (!ok && anchored.Seq == squash.Seq)
                    report.Findings.Add(new StoreFinding(FindingSeverity.Error, "AnchorMismatch",
                        $"Entry {anchored.Seq} of '{anchored.Key}' in '{ns}' was squashed with a different hash than anchored.", path, ns, anchored.Key, anchored.Seq));
                else if (!ok)
                    report.Findings.Add(new StoreFinding(FindingSeverity.Information, "AnchorSquashed",
                        $"Entry {anchored.Seq} of '{anchored.Key}' in '{ns}' was squashed by retention; the anchor can only be checked up to entry {squash.Seq}.", path, ns, anchored.Key, anchored.Seq));
            }
            else
            {
                long lastSeq = entries.Count == 0 ? 0 : entries[entries.Count - 1].Seq;
                report.Findings.Add(new StoreFinding(FindingSeverity.Error, "Truncated",
                    $"The history of '{anchored.Key}' in '{ns}' ends at entry {lastSeq}, but entry {anchored.Seq} was anchored: it was truncated.", path, ns, anchored.Key, anchored.Seq));
            }
        }
    }
}
