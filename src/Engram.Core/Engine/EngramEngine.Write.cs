using System;
using System.Collections.Generic;
using System.Linq;
using Engram.Core.Engine.Rules;
using Engram.Core.Provenance;
using Engram.Core.Storage;

namespace Engram.Core.Engine
{
    public partial class EngramEngine
    {
        /// <summary>Creates or revises a memory (and appends its provenance entry when tracked), atomically.</summary>
        /// <remarks>
        /// A large string's content hash is computed on a worker thread (see <see cref="WriteRules.CheckWrite"/>) while
        /// the storage takes the lock, reads the current memory and stores the new one; if the hash then shows the value
        /// unchanged, the session is dropped uncommitted and the write is a no-op, as without the overlap.
        /// </remarks>
        public SetResult Set(SetRequest request)
        {
            var w = WriteRules.CheckWrite(request, Config.MaxValueBytes, overlapHashing: true);
            if (w.Branch != Names.DefaultBranch) return SetOnBranch(request, w);
            return SetOnMain(request, w);
        }

        private SetResult SetOnMain(SetRequest request, CheckedWrite w)
        {
            string ns = w.Namespace, key = w.Key, actor = w.Actor;
            using (var s = Storage.BeginWrite())
            {
                // The memory first: a storage across a network sends the session's start (its lock, the configuration)
                // with this read, in one round trip; asking for the configuration first would cost one of its own.
                var current = s.ReadMemory(ns, key, forWrite: true);
                var config = s.Config;
                ConditionalWrite.Check(request, current, ns, key, Names.DefaultBranch);
                // A history is reconciled with the memory before anything is decided from it: a create that died after
                // its append (a lone dangling entry) is cut first, so it neither makes the memory tracked nor refuses
                // -TrackProvenance:$false.
                var tail = Reconcile(s, current, ns, key);
                bool hasHistory = tail != null;
                bool tracked = WriteRules.Tracked(request, hasHistory, config, ns, key, mainLine: true); // true whenever a tail remains
                var sources = ResolveSources(request);

                var newTags = w.Tags ?? current?.Tags ?? Array.Empty<string>();
                bool mayBeUnchanged = current != null && !request.IsCognitive && newTags.SequenceEqual(current.Tags, StringComparer.Ordinal);
                SetResult Unchanged()
                {
                    _ = current!.Value; // a header-only record loads its value now, under the lock (the caller gets it whole)
                    if (hasHistory || request.TrackProvenance != true)
                    {
                        s.Commit();
                        return new SetResult(current, false, null);
                    }
                    // -TrackProvenance on an untracked memory whose value is unchanged: start its history with the
                    // current state (same version), so tracking begins now rather than at the next change.
                    var start = WriteRules.NewEntry(null, current.Id, ns, key, ProvenanceActions.Tracked, actor, DateTime.UtcNow, Names.DefaultBranch,
                        current.Version, request.Reason, current.ContentHash, current.Value);
                    s.Append(null, new[] { start });
                    s.Commit();
                    return new SetResult(current, false, start);
                }
                // Decided once: a hash still being computed now is checked after the memory was staged (below).
                bool pending = w.HashPending;
                if (mayBeUnchanged && !pending && current!.ContentHash == w.ContentHash) return Unchanged();

                var now = DateTime.UtcNow;
                string id;
                int version;
                bool continuesLost = false;
                if (current != null)
                {
                    id = current.Id;
                    version = current.Version + 1;
                }
                else if (tail != null)
                {
                    // Re-created after a delete, or written again after its memory was lost (FileLost): continue the
                    // same history and id, after main's last version (the tail may be a branch's entry, whose version is
                    // the branch's own).
                    id = s.ReadEntry(tail, includeValues: false).MemoryId;
                    var lastMain = HistoryRules.LastMain(s, tail);
                    version = (lastMain?.Version ?? 0) + 1;
                    continuesLost = lastMain != null && lastMain.Action != ProvenanceActions.Deleted;
                }
                else
                {
                    id = Guid.NewGuid().ToString("N");
                    version = 1;
                }

                var record = new MemoryRecord(id, ns, key, request.Value, newTags, version, current?.CreatedUtc ?? now, now);
                ProvenanceEntry? NewWriteEntry() => tracked
                    ? WriteRules.NewEntry(tail, id, ns, key, request.Action ?? (current == null && !continuesLost ? ProvenanceActions.Created : ProvenanceActions.Revised),
                        actor, now, Names.DefaultBranch, version, request.Reason, w.ContentHash, request.Value, details: CognitionDetails(request, sources))
                    : null;

                var needBase = BranchesNeedingBase(s, ns, key);
                if (needBase.Count > 0 || sources.Count > 0)
                {
                    // A live branch still reads this memory from main (keep its merge base), or sources must be indexed:
                    // several records change together.
                    if (mayBeUnchanged && current!.ContentHash == w.ContentHash) return Unchanged();
                    record.WithContentHash(w.ContentHash);
                    var txnEntry = NewWriteEntry();
                    KeepBases(s, needBase, current, ns, key);
                    if (txnEntry != null) foreach (var src in sources) s.AddDerived(src.Ref.Namespace, src.Ref.Key, src.Version, txnEntry);
                    s.PutMemory(record);
                    if (txnEntry != null) s.Append(tail, new[] { txnEntry });
                    s.Commit();
                    return new SetResult(record, true, txnEntry);
                }

                if (!pending) record.WithContentHash(w.ContentHash);
                s.PutMemory(record, pending ? () => w.ContentHash : (Func<string>?)null);
                if (pending && mayBeUnchanged && current!.ContentHash == w.ContentHash)
                {
                    // The value turned out unchanged: the staged memory is dropped with the session.
                    if (hasHistory || request.TrackProvenance != true) return new SetResult(LoadWhole(current), false, null);
                    s.Dispose();
                    return SetOnMain(request, w); // starting a history: decided again, with the hash known
                }
                var entry = NewWriteEntry();
                if (entry != null) s.Append(tail, new[] { entry });
                s.Commit();
                return new SetResult(record, true, entry);
            }
        }

        private static MemoryRecord LoadWhole(MemoryRecord m)
        {
            _ = m.Value;
            return m;
        }

        /// <summary>Deletes a memory. A tracked memory gets a <c>deleted</c> entry and keeps its history.</summary>
        public ProvenanceEntry? Remove(string ns, string key, string? actor = null, string? reason = null, string? branch = null)
        {
            if (Names.NormalizeBranch(branch) != Names.DefaultBranch) return RemoveOnBranch(ns, key, actor, reason, Names.NormalizeBranch(branch));
            ns = Names.NormalizeNamespace(ns);
            Names.ValidateKey(key);
            actor = WriteRules.NormalizeActor(actor);
            EnsureExists();
            using (var s = Storage.BeginWrite())
            {
                // Header only: the old value is read only for a branch's merge base.
                var current = s.ReadMemory(ns, key, forWrite: true) ?? throw StoreErrors.MemoryMissing(ns, key);
                var tail = Reconcile(s, current, ns, key); // null: untracked (or only a write that never finished, now cut)
                var entry = tail == null ? null
                    : WriteRules.NewEntry(tail, current.Id, ns, key, ProvenanceActions.Deleted, actor, DateTime.UtcNow, Names.DefaultBranch,
                        current.Version, reason, null, null, hasValue: false);
                KeepBases(s, BranchesNeedingBase(s, ns, key), current, ns, key);
                s.DeleteMemory(ns, key);
                if (entry != null) s.Append(tail, new[] { entry });
                s.Commit();
                return entry;
            }
        }
    }
}
