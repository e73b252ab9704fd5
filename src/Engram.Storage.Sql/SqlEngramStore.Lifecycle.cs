using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using Engram.Core;
using Engram.Core.Provenance;
using Engram.Core.Search;

namespace Engram.Storage.Sql
{
    /// <summary>Verification, anchors, time travel and retention.</summary>
    public sealed partial class SqlEngramStore
    {
        // ------------------------------------------------------------------ verify

        /// <summary>Every (namespace, key) with a history, sorted.</summary>
        private static List<(string ns, string key)> Histories(Db db, string? ns = null) =>
            db.Query("SELECT DISTINCT ns, key FROM _provenance" + (ns == null ? "" : " WHERE ns = @ns"), r => (r.GetString(0), r.GetString(1)),
                    ns == null ? Array.Empty<(string, object?)>() : new (string, object?)[] { ("ns", ns) })
              .OrderBy(x => x.Item1, StringComparer.Ordinal).ThenBy(x => x.Item2, StringComparer.Ordinal).ToList();

        /// <summary>Checks one history's chain and that its main-line end agrees with the memory row.</summary>
        private void VerifyHistory(Db db, string ns, string key, MemoryRecord? memory, StoreReport report, bool repair = false)
        {
            var where = Root + "#_provenance/" + ns + "/" + key;
            IEnumerable<ProvenanceEntry> Parsed()
            {
                foreach (var doc in db.Query("SELECT doc FROM _provenance WHERE ns = @ns AND key = @key ORDER BY seq", r => r.GetString(0), ("ns", ns), ("key", key)))
                    yield return ParseEntry(doc, ns, key, includeValues: true);
            }
            var walk = EngramStore.CheckChain(Parsed(), ns, key, where, report);
            if (walk.Broken || walk.LastMain == null) return;
            var lastMain = walk.LastMain;
            bool consistent = memory == null ? lastMain.Action == ProvenanceActions.Deleted
                : lastMain.Action != ProvenanceActions.Deleted && lastMain.Version == memory.Version && lastMain.ContentHash == memory.ContentHash;
            if (!consistent && memory == null && lastMain.Action != ProvenanceActions.Deleted)
            {
                // The row is gone while its history verifies (a change is one transaction here: never a crashed write).
                var f = EngramStore.ReportRebuild(walk, ns, key, Origin(ns, key), null, report, out var source);
                if (!repair || source == null) return;
                Write(w =>
                {
                    var (record, entry) = EngramStore.Rebuilt(walk, source, ns, key, ReadTail(w, ns, key)?.ToLogTail(), malformed: false);
                    PutMain(w, record);
                    InsertEntry(w, entry);
                    return 0;
                });
                f.Repaired = true;
            }
            else if (!consistent)
                report.Findings.Add(new StoreFinding(FindingSeverity.Error, "HistoryMismatch",
                    $"The memory '{key}' in '{ns}' (version {memory?.Version.ToString(CultureInfo.InvariantCulture) ?? "none"}) does not match its last history entry {lastMain.Seq} (version {lastMain.Version}, {lastMain.Action}).", where, ns, key, lastMain.Seq));
        }

        /// <summary>Reads a memory row for verification: null when absent, a finding (and false) when it does not parse.</summary>
        private bool TryReadForVerify(Db db, string ns, string key, StoreReport report, out MemoryRecord? memory)
        {
            memory = null;
            try
            {
                memory = MainRow(db, ns, key);
                return true;
            }
            catch (EngramException ex)
            {
                report.Findings.Add(new StoreFinding(FindingSeverity.Error, ex.ErrorId == EngramErrorIds.UnsupportedFormatVersion ? "UnsupportedFormat" : "MalformedMemory", ex.Message, Origin(ns, key), ns, key));
                return false;
            }
        }

        public override StoreReport Verify(bool repair = false, Action<int, int, string>? progress = null)
        {
            EnsureExists();
            var report = new StoreReport(Root);
            using (var db = OpenRead()!)
            {
                var rows = db.Query("SELECT ns, key FROM memories", r => (ns: r.GetString(0), key: r.GetString(1)));
                var histories = Histories(db);
                var withHistory = new HashSet<(string, string)>(histories);
                var all = rows.Select(r => r.ns).Concat(histories.Select(h => h.ns)).Distinct().OrderBy(n => n, StringComparer.Ordinal).ToList();
                int done = 0;
                foreach (var ns in all)
                {
                    progress?.Invoke(++done, all.Count, ns);
                    foreach (var (_, key) in rows.Where(r => r.ns == ns))
                    {
                        report.MemoriesChecked++;
                        if (!TryReadForVerify(db, ns, key, report, out var m) || withHistory.Contains((ns, key))) continue;
                        _ = m;
                    }
                    foreach (var (_, key) in histories.Where(h => h.ns == ns))
                    {
                        report.HistoriesChecked++;
                        if (!TryReadForVerify(db, ns, key, report, out var memory)) continue;
                        VerifyHistory(db, ns, key, memory, report, repair);
                    }
                }
                foreach (var (ns, name, doc) in db.Query("SELECT ns, name, doc FROM branches", r => (r.GetString(0), r.GetString(1), r.GetString(2))))
                {
                    report.BranchesChecked++;
                    try
                    {
                        var record = ParseBranch(doc, ns, name);
                        if (record.Name != name || record.Namespace != ns)
                            throw new EngramException(EngramErrorIds.MalformedMemoryFile, EngramErrorKind.InvalidData, $"The branch record of '{ns}@{name}' names '{record.Namespace}@{record.Name}'.", ns + "@" + name);
                        foreach (var (key, mdoc) in db.Query("SELECT key, doc FROM branch_memories WHERE ns = @ns AND branch = @b", r => (r.GetString(0), r.GetString(1)), ("ns", ns), ("b", name)))
                        {
                            _ = ParseMemory(mdoc, ns, key, name);
                            if (!record.Covers(key))
                                throw new EngramException(EngramErrorIds.MalformedMemoryFile, EngramErrorKind.InvalidData, $"Branch '{name}' of '{ns}' holds key '{key}', which it does not cover.", ns + "@" + name);
                        }
                    }
                    catch (EngramException ex)
                    {
                        report.Findings.Add(new StoreFinding(FindingSeverity.Error, "MalformedBranch", ex.Message, Root + "#_branches/" + ns + "/" + name, ns));
                    }
                }
            }
            return report;
        }

        public override StoreReport VerifyProvenance(string ns, Func<string, bool>? keyFilter = null)
        {
            ns = Names.NormalizeNamespace(ns);
            EnsureExists();
            var report = new StoreReport(Root);
            using (var db = OpenRead()!)
                foreach (var (_, key) in Histories(db, ns))
                {
                    if (keyFilter != null && !keyFilter(key)) continue;
                    report.HistoriesChecked++;
                    if (!TryReadForVerify(db, ns, key, report, out var memory)) continue;
                    if (memory != null) report.MemoriesChecked++;
                    VerifyHistory(db, ns, key, memory, report);
                }
            return report;
        }

        // ------------------------------------------------------------------ anchors

        public override ProvenanceHead GetHead(string ns)
        {
            ns = Names.NormalizeNamespace(ns);
            EnsureExists();
            var list = Read(db => db.Query(
                    "SELECT p.key, p.seq, p.hash FROM _provenance p WHERE p.ns = @ns AND p.seq = (SELECT MAX(q.seq) FROM _provenance q WHERE q.ns = p.ns AND q.key = p.key)",
                    r => new HeadEntry(r.GetString(0), Convert.ToInt64(r.GetValue(1), CultureInfo.InvariantCulture), r.GetString(2)), ("ns", ns)),
                new List<HeadEntry>());
            return new ProvenanceHead(ns, DateTime.UtcNow, list.OrderBy(e => e.Key, StringComparer.Ordinal).ToList());
        }

        public override StoreReport VerifyAgainst(ProvenanceHead head)
        {
            EngramStore.CheckAnchorHead(head);
            var ns = Names.NormalizeNamespace(head.Namespace);
            EnsureExists();
            var report = new StoreReport(Root);
            using (var db = OpenRead()!)
                foreach (var anchored in head.Entries)
                {
                    report.HistoriesChecked++;
                    var where = Root + "#_provenance/" + ns + "/" + anchored.Key;
                    if (!HasHistory(db, ns, anchored.Key))
                    {
                        report.Findings.Add(new StoreFinding(FindingSeverity.Error, "HistoryMissing",
                            $"The history of '{anchored.Key}' in '{ns}' was anchored at entry {anchored.Seq} but no longer exists.", where, ns, anchored.Key, anchored.Seq));
                        continue;
                    }
                    int before = report.Findings.Count;
                    if (!TryReadForVerify(db, ns, anchored.Key, report, out var memory)) continue;
                    if (memory != null) report.MemoriesChecked++;
                    VerifyHistory(db, ns, anchored.Key, memory, report); // counts the entries it walks
                    if (report.Findings.Count > before) continue;
                    var entries = Entries(db, ns, anchored.Key, includeValues: false);
                    EngramStore.CheckAnchor(anchored, entries, ns, where, report);
                }
            return report;
        }
    }
}
