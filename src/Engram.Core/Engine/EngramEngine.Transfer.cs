using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Engram.Core.Provenance;
using Engram.Core.Storage;
using Engram.Core.Values;

namespace Engram.Core.Engine
{
    public partial class EngramEngine
    {
        // ------------------------------------------------------------------ moving whole stores

        /// <summary>
        /// Everything the store holds, raw: its configuration, its main-line memories (namespace by namespace, sorted by
        /// key), every history with its entries and hashes as stored, and every branch with the memories it keeps. The
        /// parts are read when they are enumerated, each through one view. An entry a writer is still committing (or left
        /// dangling) is not exported, as history reads do not show it.
        /// </summary>
        public StoreExport Export()
        {
            EnsureExists();
            IReadOnlyList<string> namespaces;
            int memories, histories;
            using (var view = Storage.OpenRead())
            {
                namespaces = view.Namespaces();
                memories = namespaces.Sum(ns => view.ListMemories(ns).Count());
                histories = view.Histories(null).Count();
            }
            return new StoreExport(Config, () => ExportMemories(namespaces), ExportHistories, ExportBranches, memories, histories);
        }

        private IEnumerable<MemoryRecord> ExportMemories(IReadOnlyList<string> namespaces)
        {
            using (var view = Storage.OpenRead())
                foreach (var ns in namespaces)
                    foreach (var location in view.ListMemories(ns))
                        yield return view.ReadListed(location);
        }

        private IEnumerable<IReadOnlyList<ProvenanceEntry>> ExportHistories()
        {
            using (var view = Storage.OpenRead())
                foreach (var h in view.Histories(null))
                {
                    HistoryTail? upTo = null;
                    if (Storage.CanLeaveDanglingEntries)
                    {
                        // As GetProvenance shows it: entries beyond what the memory shows are left out.
                        upTo = VisibleTail(view, h.Key, h.Value, out _);
                        if (upTo == null) { yield return Array.Empty<ProvenanceEntry>(); continue; } // unreadable memory, nothing visible
                    }
                    yield return view.ReadHistory(h.Key, h.Value, upTo, includeValues: true).ToList();
                }
        }

        private IEnumerable<BranchExport> ExportBranches()
        {
            using (var view = Storage.OpenRead())
                foreach (var b in view.ReadBranches(null))
                {
                    var r = b.Key;
                    yield return new BranchExport(r, view.ReadBranchMemories(r.Namespace, r.Name, BranchSlot.Own),
                        view.ReadBranchMemories(r.Namespace, r.Name, BranchSlot.Base));
                }
        }

        /// <summary>
        /// Writes an export into this store (created when it does not exist), in one write session: all of it or, on any
        /// failure, nothing. The store must hold no memory, history or branch (StoreAlreadyExists otherwise, nothing
        /// changed). Entries keep their hashes; the derived-from index is rebuilt from the entries' <c>derivedFrom</c>
        /// details. <paramref name="progress"/> is told of each memory and each history as it is staged.
        /// </summary>
        public void Import(StoreExport export, Action<int, int, string>? progress = null)
        {
            if (export == null) throw new ArgumentNullException(nameof(export));
            using (var s = Storage.BeginWrite())
            {
                if (s.Namespaces().Any(ns => s.ListMemories(ns).Any()) || s.Histories(null).Any() || s.ReadBranches(null).Count > 0)
                    throw StoreErrors.ImportTargetNotEmpty(Root);
                int total = export.MemoryCount + export.HistoryCount, done = 0;
                s.PutConfig(export.Config);
                foreach (var m in export.Memories)
                {
                    progress?.Invoke(++done, total, m.Namespace + "/" + m.Key);
                    s.PutMemory(m);
                }
                foreach (var history in export.Histories)
                {
                    if (history.Count == 0) continue;
                    var first = history[0];
                    progress?.Invoke(++done, total, first.Namespace + "/" + first.Key);
                    s.ReplaceHistory(first.Namespace, first.Key, history);
                    foreach (var e in history)
                        foreach (var (sns, skey, sver) in DerivedSources(e))
                            s.AddDerived(sns, skey, sver, e);
                }
                foreach (var b in export.Branches)
                {
                    var r = b.Record;
                    s.PutBranch(r);
                    foreach (var m in b.Changes) s.PutBranchMemory(r.Namespace, r.Name, BranchSlot.Own, m);
                    foreach (var m in b.Bases) s.PutBranchMemory(r.Namespace, r.Name, BranchSlot.Base, m);
                }
                s.Commit();
            }
        }

        /// <summary>The sources an entry names in its <c>derivedFrom</c> details: namespace, key, version used.</summary>
        internal static IEnumerable<(string ns, string key, int version)> DerivedSources(ProvenanceEntry e)
        {
            if (!(e.Details != null && e.Details.TryGetValue("derivedFrom", out var raw) && raw is object?[] sources)) yield break;
            foreach (var s in sources.OfType<EngramMap>())
                if (s.TryGetValue("namespace", out var n) && n is string sns && s.TryGetValue("key", out var k) && k is string skey && s.TryGetValue("version", out var v))
                    yield return (sns, skey, Convert.ToInt32(v, CultureInfo.InvariantCulture));
        }
    }
}
