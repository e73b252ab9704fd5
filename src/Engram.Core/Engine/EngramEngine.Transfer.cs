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

        /// <summary>Records (a memory, or a history) per write session of an import.</summary>
        internal const int ImportBatchRecords = 1000;

        /// <summary>Bytes of values per write session of an import: what it holds in memory, beside the largest record.</summary>
        internal const long ImportBatchBytes = 8L * 1024 * 1024;

        /// <summary>
        /// Writes an export into this store (created when it does not exist), streaming it in write sessions of at most
        /// <see cref="ImportBatchRecords"/> records or <see cref="ImportBatchBytes"/> bytes of values (each session all
        /// or nothing), so the memory it needs is bounded by one batch and the largest record, not by the store. The store
        /// must hold no memory, history or branch (StoreAlreadyExists otherwise, nothing changed), checked in the first
        /// session. Histories go first, then memories, then branches: an import that stops part-way (its error says so)
        /// leaves a store whose memories are whole or, for the ones not reached, a history whose memory is missing, which
        /// <c>Test-EngramStore</c> reports — never a tracked memory without its history. Entries keep their hashes; the
        /// derived-from index is rebuilt from the entries' <c>derivedFrom</c> details. <paramref name="progress"/> is told
        /// of each memory and each history as it is staged.
        /// </summary>
        public void Import(StoreExport export, Action<int, int, string>? progress = null)
        {
            if (export == null) throw new ArgumentNullException(nameof(export));
            int total = export.MemoryCount + export.HistoryCount, done = 0, committed = 0;
            IStorageWrite? s = null;
            int records = 0;
            long bytes = 0;
            bool first = true;
            void Open()
            {
                s = Storage.BeginWrite();
                if (!first) return;
                first = false;
                if (s.Namespaces().Any(ns => s.ListMemories(ns).Any()) || s.Histories(null).Any() || s.ReadBranches(null).Count > 0)
                    throw StoreErrors.ImportTargetNotEmpty(Root);
                s.PutConfig(export.Config);
            }
            void Staged(long size)
            {
                records++;
                bytes += size;
                if (records < ImportBatchRecords && bytes < ImportBatchBytes) return;
                CommitBatch();
            }
            void CommitBatch()
            {
                if (s == null) return;
                s.Commit();
                s.Dispose();
                s = null;
                committed = done;
                records = 0;
                bytes = 0;
            }
            try
            {
                Open();
                foreach (var history in export.Histories)
                {
                    if (history.Count == 0) continue;
                    if (s == null) Open();
                    var head = history[0];
                    done++; // (not inside the call: with no progress callback its arguments are not evaluated)
                    progress?.Invoke(done, total, head.Namespace + "/" + head.Key);
                    s!.ReplaceHistory(head.Namespace, head.Key, history);
                    foreach (var e in history)
                        foreach (var (sns, skey, sver) in DerivedSources(e))
                            s.AddDerived(sns, skey, sver, e);
                    Staged(history.Sum(e => e.HasValue ? ValueCodec.SizeBound(e.Value, ImportBatchBytes) : 0));
                }
                foreach (var m in export.Memories)
                {
                    if (s == null) Open();
                    done++;
                    progress?.Invoke(done, total, m.Namespace + "/" + m.Key);
                    s!.PutMemory(m);
                    Staged(ValueCodec.SizeBound(m.Value, ImportBatchBytes));
                }
                foreach (var b in export.Branches)
                {
                    if (s == null) Open();
                    var r = b.Record;
                    s!.PutBranch(r);
                    foreach (var m in b.Changes) s.PutBranchMemory(r.Namespace, r.Name, BranchSlot.Own, m);
                    foreach (var m in b.Bases) s.PutBranchMemory(r.Namespace, r.Name, BranchSlot.Base, m);
                    Staged(b.Changes.Concat(b.Bases).Sum(m => ValueCodec.SizeBound(m.Value, ImportBatchBytes)));
                }
                CommitBatch();
            }
            catch (Exception ex) when (committed > 0 && !(ex is SimulatedCrashException || ex is OutOfMemoryException || ex is OperationCanceledException))
            {
                var stopped = $" The import stopped after {committed} of {total} histories and memories: '{Root}' holds that part. Delete it and copy again.";
                if (ex is EngramException e) throw new EngramException(e.ErrorId, e.Kind, e.Message + stopped, e.Target, e);
                throw new EngramException(EngramErrorIds.WriteFailed, EngramErrorKind.WriteError, "Importing failed: " + ex.Message + stopped, Root, ex);
            }
            finally
            {
                s?.Dispose();
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
