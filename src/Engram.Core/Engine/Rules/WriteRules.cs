using System;
using System.Collections.Generic;
using System.Linq;
using Engram.Core.Provenance;
using Engram.Core.Storage;
using Engram.Core.Values;

namespace Engram.Core.Engine.Rules
{
    /// <summary>The rules every write follows, whatever the storage: checking a request, the tracking decision, and
    /// making (and hashing) provenance entries.</summary>
    internal static class WriteRules
    {
        /// <summary>Strings at least this long (chars) are hashed on a worker thread while a Set does its I/O.</summary>
        internal const int OverlapHashingFrom = 64 * 1024;

        /// <summary>
        /// Checks and normalizes a write before anything is touched: namespace, branch, key, action (a main-line write
        /// cannot record 'deleted'), tags, actor, the value (its size, then by hashing it) and the cognitive fields.
        /// </summary>
        internal static CheckedWrite CheckWrite(SetRequest request, long maxValueBytes, bool overlapHashing = false)
        {
            if (request == null) throw new ArgumentNullException(nameof(request));
            var w = new CheckedWrite { Branch = Names.NormalizeBranch(request.Branch), Namespace = Names.NormalizeNamespace(request.Namespace), Key = request.Key };
            Names.ValidateKey(w.Key);
            if (request.Action != null)
            {
                Names.ValidateAction(request.Action);
                if (request.Action == ProvenanceActions.Deleted && w.Branch == Names.DefaultBranch)
                    throw new EngramException(EngramErrorIds.InvalidAction, EngramErrorKind.InvalidArgument,
                        "'deleted' is recorded by Remove-EngramMemory, not by a write.", request.Action);
            }
            w.Tags = NormalizeTags(request.Tags);
            w.Actor = NormalizeActor(request.Actor);
            ValueCodec.CheckSize(request.Value, maxValueBytes, $"'{w.Key}' in '{w.Namespace}'", w.Namespace + "/" + w.Key); // before it is hashed, rendered or written
            ConditionalWrite.Validate(request);
            if (overlapHashing && request.Value is string large && large.Length >= OverlapHashingFrom) w.StartHashing(large); // validated when awaited
            else w.ContentHash = ValueCodec.ContentHash(request.Value); // validates the value
            EngramEngine.ValidateCognition(request, w.Namespace, w.Key);
            return w;
        }

        /// <summary>
        /// Whether a write is tracked: always once the memory has a history (then -TrackProvenance:$false is refused, so
        /// the history has no holes), when it records cognitive fields, else as asked or as the namespace's policy says.
        /// </summary>
        internal static bool Tracked(SetRequest request, bool hasHistory, StoreConfig config, string ns, string key, bool mainLine)
        {
            if (hasHistory && request.TrackProvenance == false)
                throw new EngramException(EngramErrorIds.ProvenanceRequired, EngramErrorKind.InvalidOperation,
                    $"The memory '{key}' in '{ns}' has provenance history, so every change to it is tracked"
                    + (mainLine ? "; -TrackProvenance:$false is refused to keep its history without holes." : "."), ns + "/" + key);
            return hasHistory || request.IsCognitive || (request.TrackProvenance ?? config.IsTracked(ns));
        }

        internal static IReadOnlyList<string>? NormalizeTags(IReadOnlyList<string>? tags)
        {
            if (tags == null) return null;
            var result = new List<string>();
            foreach (var t in tags)
            {
                var tag = t?.Trim();
                if (string.IsNullOrEmpty(tag)) continue;
                if (tag!.Any(char.IsControl))
                    throw new EngramException(EngramErrorIds.InvalidKey, EngramErrorKind.InvalidArgument, $"The tag '{tag}' contains a control character.", tag);
                if (!result.Contains(tag, StringComparer.Ordinal)) result.Add(tag!);
            }
            return result;
        }

        internal static string NormalizeActor(string? actor)
        {
            var a = string.IsNullOrWhiteSpace(actor) ? StoreLocator.DefaultActor() : actor!.Trim();
            if (a.Length == 0 || a.Length > 256 || a.Any(char.IsControl))
                throw new EngramException(EngramErrorIds.InvalidActor, EngramErrorKind.InvalidArgument,
                    "An actor is a name of 1 to 256 printable characters.", actor);
            return a;
        }

        /// <summary>A new entry after <paramref name="tail"/> (or after <paramref name="previous"/>, an entry made just
        /// before in the same change), hashed.</summary>
        internal static ProvenanceEntry NewEntry(HistoryTail? tail, string id, string ns, string key, string action, string actor,
            DateTime now, string branch, int version, string? reason, string? contentHash, object? value, bool hasValue = true,
            EngramMap? details = null, ProvenanceEntry? previous = null) =>
            NewEntry(tail?.Seq ?? 0, tail?.Hash, id, ns, key, action, actor, now, branch, version, reason, contentHash, value, hasValue, details, previous);

        internal static ProvenanceEntry NewEntry(long tailSeq, string? tailHash, string id, string ns, string key, string action, string actor,
            DateTime now, string branch, int version, string? reason, string? contentHash, object? value, bool hasValue = true,
            EngramMap? details = null, ProvenanceEntry? previous = null)
        {
            var e = new ProvenanceEntry
            {
                Seq = previous != null ? previous.Seq + 1 : tailSeq + 1,
                MemoryId = id,
                Namespace = ns,
                Key = key,
                Action = action,
                Actor = actor,
                TimestampUtc = now,
                Branch = branch,
                Version = version,
                Reason = string.IsNullOrEmpty(reason) ? null : reason,
                ContentHash = contentHash,
                PrevHash = previous != null ? previous.Hash : tailSeq > 0 ? tailHash : null,
                Details = details,
                HasValue = hasValue,
                Value = hasValue ? value : null,
            };
            e.Hash = e.ComputeHash();
            return e;
        }

        /// <summary>
        /// The <c>forked</c> entry that starts a branch's history of a memory: main's version <paramref name="from"/>
        /// is where the branch took it from (the value stays in main's entries). <paramref name="conflictWith"/> names
        /// the branch whose merge conflicted, when the fork is the conflict branch of a merge.
        /// </summary>
        internal static ProvenanceEntry ForkedEntry(HistoryTail? tail, MemoryRecord from, string ns, string key, string actor, DateTime now,
            string branch, string? reason, string? conflictWith = null, ProvenanceEntry? previous = null) =>
            ForkedEntry(tail?.Seq ?? 0, tail?.Hash, from, ns, key, actor, now, branch, reason, conflictWith, previous);

        internal static ProvenanceEntry ForkedEntry(long tailSeq, string? tailHash, MemoryRecord from, string ns, string key, string actor, DateTime now,
            string branch, string? reason, string? conflictWith = null, ProvenanceEntry? previous = null)
        {
            var details = new EngramMap(MapKind.Ordered) { { "from", Names.DefaultBranch }, { "fromVersion", from.Version } };
            if (conflictWith != null) details.Add("conflictWith", conflictWith);
            return NewEntry(tailSeq, tailHash, from.Id, ns, key, ProvenanceActions.Forked, actor, now, branch, from.Version, reason, from.ContentHash, null,
                hasValue: false, details: details, previous: previous);
        }
    }
}
