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
            if (w.Branch != Names.DefaultBranch) EnsureExists();
            return SetOne(request, w);
        }

        /// <summary>How a write session ends after one write was staged in it.</summary>
        private enum StageEnd
        {
            /// <summary>Commit what was staged (possibly nothing).</summary>
            Commit,
            /// <summary>Drop the session uncommitted: the value turned out unchanged after it was staged.</summary>
            Drop,
            /// <summary>Drop the session and decide again (the hash, known now, shows a history must be started).</summary>
            Redo,
        }

        /// <summary>One Set in a write session of its own.</summary>
        private SetResult SetOne(SetRequest request, CheckedWrite w)
        {
            using (var s = Storage.BeginWrite())
            {
                var result = StageSet(s, request, w, out var end);
                if (end == StageEnd.Commit) s.Commit();
                else if (end == StageEnd.Redo)
                {
                    s.Dispose();
                    return SetOne(request, w); // starting a history: decided again, with the hash known
                }
                return result;
            }
        }

        /// <summary>
        /// The rules of one Set, staged into <paramref name="s"/> (not committed): a single Set and each record of
        /// <see cref="SetMany"/> go through this. Every check that can refuse the write comes before its first staged
        /// change, so a refused record stages nothing. Only a hash still being computed (a single Set's overlap) can
        /// end in <see cref="StageEnd.Drop"/> or <see cref="StageEnd.Redo"/>.
        /// </summary>
        private SetResult StageSet(IStorageWrite s, SetRequest request, CheckedWrite w, out StageEnd end)
        {
            end = StageEnd.Commit;
            return w.Branch != Names.DefaultBranch ? StageOnBranch(s, request, w) : StageOnMain(s, request, w, out end);
        }

        private SetResult StageOnMain(IStorageWrite s, SetRequest request, CheckedWrite w, out StageEnd end)
        {
            end = StageEnd.Commit;
            string ns = w.Namespace, key = w.Key, actor = w.Actor;
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
                if (hasHistory || request.TrackProvenance != true) return new SetResult(current, false, null);
                // -TrackProvenance on an untracked memory whose value is unchanged: start its history with the
                // current state (same version), so tracking begins now rather than at the next change.
                var start = WriteRules.NewEntry(null, current.Id, ns, key, ProvenanceActions.Tracked, actor, DateTime.UtcNow, Names.DefaultBranch,
                    current.Version, request.Reason, current.ContentHash, current.Value);
                s.Append(null, new[] { start });
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
                return new SetResult(record, true, txnEntry);
            }

            ProvenanceEntry? entry = null;
            if (!pending)
            {
                record.WithContentHash(w.ContentHash);
                entry = NewWriteEntry(); // made before anything is staged
            }
            s.PutMemory(record, pending ? () => w.ContentHash : (Func<string>?)null);
            if (pending)
            {
                if (mayBeUnchanged && current!.ContentHash == w.ContentHash)
                {
                    // The value turned out unchanged: the staged memory is dropped with the session.
                    end = hasHistory || request.TrackProvenance != true ? StageEnd.Drop : StageEnd.Redo;
                    return new SetResult(LoadWhole(current), false, null);
                }
                entry = NewWriteEntry();
            }
            if (entry != null) s.Append(tail, new[] { entry });
            return new SetResult(record, true, entry);
        }

        private static MemoryRecord LoadWhole(MemoryRecord m)
        {
            _ = m.Value;
            return m;
        }

        /// <summary>Deletes a memory. A tracked memory gets a <c>deleted</c> entry and keeps its history.</summary>
        public ProvenanceEntry? Remove(string ns, string key, string? actor = null, string? reason = null, string? branch = null)
        {
            var r = CheckRemove(new RemoveRequest(ns, key) { Actor = actor, Reason = reason, Branch = branch });
            EnsureExists();
            using (var s = Storage.BeginWrite())
            {
                var entry = StageRemove(s, r);
                s.Commit();
                return entry;
            }
        }

        /// <summary>A delete request, checked and normalized before anything is touched.</summary>
        private sealed class CheckedRemove
        {
            public CheckedRemove(string ns, string key, string actor, string? reason, string branch)
            {
                Namespace = ns;
                Key = key;
                Actor = actor;
                Reason = reason;
                Branch = branch;
            }

            public string Namespace { get; }
            public string Key { get; }
            public string Actor { get; }
            public string? Reason { get; }
            public string Branch { get; }
        }

        private static CheckedRemove CheckRemove(RemoveRequest request)
        {
            if (request == null) throw new ArgumentNullException(nameof(request));
            var branch = Names.NormalizeBranch(request.Branch);
            var ns = Names.NormalizeNamespace(request.Namespace);
            Names.ValidateKey(request.Key);
            return new CheckedRemove(ns, request.Key, WriteRules.NormalizeActor(request.Actor), request.Reason, branch);
        }

        /// <summary>The rules of one Remove, staged into <paramref name="s"/> (not committed); refusals come before
        /// anything is staged.</summary>
        private ProvenanceEntry? StageRemove(IStorageWrite s, CheckedRemove r)
        {
            if (r.Branch != Names.DefaultBranch) return StageRemoveOnBranch(s, r);
            string ns = r.Namespace, key = r.Key;
            // Header only: the old value is read only for a branch's merge base.
            var current = s.ReadMemory(ns, key, forWrite: true) ?? throw StoreErrors.MemoryMissing(ns, key);
            var tail = Reconcile(s, current, ns, key); // null: untracked (or only a write that never finished, now cut)
            var entry = tail == null ? null
                : WriteRules.NewEntry(tail, current.Id, ns, key, ProvenanceActions.Deleted, r.Actor, DateTime.UtcNow, Names.DefaultBranch,
                    current.Version, r.Reason, null, null, hasValue: false);
            KeepBases(s, BranchesNeedingBase(s, ns, key), current, ns, key);
            s.DeleteMemory(ns, key);
            if (entry != null) s.Append(tail, new[] { entry });
            return entry;
        }
    }
}
