using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using Engram.Core.Engine.Rules;
using Engram.Core.Provenance;
using Engram.Core.Storage;
using Engram.Core.Values;

namespace Engram.Core
{
    public sealed partial class EngramStore
    {
        // ------------------------------------------------------------------ anchors

        /// <summary>
        /// Verifies the namespace's histories against a head saved earlier: each anchored entry must still be in its
        /// chain with the same hash (no truncation, no rewriting), and every chain must verify.
        /// </summary>
        public override StoreReport VerifyAgainst(ProvenanceHead head)
        {
            ChainRules.CheckAnchorHead(head);
            var ns = Names.NormalizeNamespace(head.Namespace);
            EnsureExists();
            var report = new StoreReport(Root);
            foreach (var anchored in head.Entries)
            {
                report.HistoriesChecked++;
                var path = Path.Combine(Root, Names.ProvenanceNamespace, ns, Names.EncodeKey(anchored.Key) + ".prov");
                if (Files.UnsafeFinding(path, ns, anchored.Key, report) || Files.UnsafeFinding(Path.Combine(Root, ns, Names.EncodeKey(anchored.Key) + ".yaml"), ns, anchored.Key, report)) continue;
                var log = new ProvenanceLog(path);
                if (!log.Exists)
                {
                    report.Findings.Add(new StoreFinding(FindingSeverity.Error, "HistoryMissing",
                        $"The history of '{anchored.Key}' in '{ns}' was anchored at entry {anchored.Seq} but no longer exists.", log.Path, ns, anchored.Key, anchored.Seq));
                    continue;
                }
                Rechecked(report, false, r => // a finding is re-read under the lock: a write in progress is not damage
                {
                    int before = r.Findings.Count;
                    MemoryRecord? memory;
                    try { memory = TryGet(ns, anchored.Key); }
                    catch (EngramException ex)
                    {
                        r.Findings.Add(new StoreFinding(FindingSeverity.Error, ex.ErrorId == EngramErrorIds.UnsafeStorePath ? "UnsafeStorePath" : "MalformedMemory",
                            ex.Message, ex.Target as string, ns, anchored.Key));
                        return;
                    }
                    if (memory != null) r.MemoriesChecked++;
                    VerifyHistory(ns, anchored.Key, log, memory, false, r); // counts the entries it walks
                    if (r.Findings.Count > before) return; // chain itself is broken: already reported
                    var entries = log.ReadAll(log.ReadTail()!.ValidLength, includeValues: false).ToList();
                    ChainRules.CheckAnchor(anchored, entries, ns, log.Path, r);
                });
            }
            return report;
        }

        /// <summary>Verifies the provenance chains of one namespace (optionally some keys) without touching anything else.</summary>
        public override StoreReport VerifyProvenance(string ns, Func<string, bool>? keyFilter = null)
        {
            ns = Names.NormalizeNamespace(ns);
            EnsureExists();
            var report = new StoreReport(Root);
            var dir = Path.Combine(Root, Names.ProvenanceNamespace, ns);
            if (!Directory.Exists(dir) || Files.UnsafeFinding(dir, ns, null, report)) return report;
            foreach (var path in Directory.EnumerateFiles(dir, "*.prov").OrderBy(p => p, StringComparer.Ordinal))
            {
                if (Files.UnsafeFinding(path, ns, Names.DecodeKey(Path.GetFileNameWithoutExtension(path)), report)) continue;
                var log = new ProvenanceLog(path);
                var key = Names.DecodeKey(Path.GetFileNameWithoutExtension(path));
                if (key == null)
                {
                    try { var tail = log.ReadTail(); key = tail != null && tail.Seq > 0 ? log.ReadTailEntry(tail).Key : null; }
                    catch (EngramException) { } // damage: VerifyHistory reports it
                    key = key ?? Path.GetFileName(path);
                }
                if (keyFilter != null && !keyFilter(key)) continue;
                report.HistoriesChecked++;
                Rechecked(report, false, r => // a finding is re-read under the lock: a write in progress is not damage
                {
                    MemoryRecord? memory = null;
                    try { memory = TryGet(ns, key); }
                    catch (EngramException ex)
                    {
                        r.Findings.Add(new StoreFinding(FindingSeverity.Error, ex.ErrorId == EngramErrorIds.UnsafeStorePath ? "UnsafeStorePath" : "MalformedMemory",
                            ex.Message, ex.Target as string, ns, key));
                        return;
                    }
                    if (memory != null) r.MemoriesChecked++;
                    VerifyHistory(ns, key, log, memory, false, r);
                });
            }
            return report;
        }

        // ------------------------------------------------------------------ time travel

    }
}
