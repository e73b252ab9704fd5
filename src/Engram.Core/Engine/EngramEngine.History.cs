using System.Linq;
using Engram.Core.Engine.Rules;
using Engram.Core.Provenance;
using Engram.Core.Values;

namespace Engram.Core.Engine
{
    public partial class EngramEngine
    {
        public const string RestoredAction = "restored";

        /// <summary>
        /// The history entry that produced <paramref name="version"/> of a memory on a branch (default main), with
        /// its value. Untracked memories only know their current version.
        /// </summary>
        public ProvenanceEntry GetVersion(string ns, string key, int version, string? branch = null)
        {
            ns = Names.NormalizeNamespace(ns);
            var b = Names.NormalizeBranch(branch);
            if (!HasProvenance(ns, key))
            {
                var current = TryGet(ns, key, b) ?? throw StoreErrors.MemoryMissing(ns, key);
                if (current.Version != version) throw VersionMissing(ns, key, version, b, "the memory is not tracked, so only its current version is known");
                return new ProvenanceEntry
                {
                    Seq = 0, MemoryId = current.Id, Namespace = ns, Key = key, Action = "current", Branch = b, Version = current.Version,
                    TimestampUtc = current.UpdatedUtc, ContentHash = current.ContentHash, HasValue = true, Value = current.Value, Actor = "",
                };
            }
            ProvenanceEntry? found = null;
            foreach (var e in GetProvenance(ns, key, null, includeValues: true, branch: "*"))
            {
                if (e.Version != version || !e.HasValue) continue;
                // A branch continues main's numbering from its fork: accept main's entry for versions before the fork.
                if (e.Branch == b || (found == null && e.Branch == Names.DefaultBranch)) found = e;
            }
            return found ?? throw VersionMissing(ns, key, version, b, "no history entry holds that version's value");
        }

        private static EngramException VersionMissing(string ns, string key, int version, string branch, string why) =>
            new EngramException(EngramErrorIds.VersionNotFound, EngramErrorKind.NotFound,
                $"Version {version} of '{key}' in '{ns}'{(branch == Names.DefaultBranch ? "" : " on branch " + branch)} is not available: {why}.", ns + "/" + key + "#" + version);

        /// <summary>Writes the value an earlier version had as a new version, with a <c>restored</c> entry.</summary>
        public SetResult Restore(string ns, string key, int version, string? actor = null, string? reason = null, string? branch = null)
        {
            var old = GetVersion(ns, key, version, branch);
            var current = TryGet(ns, key, branch);
            if (current != null && current.ContentHash == ValueCodec.ContentHash(old.Value))
                return new SetResult(current, false, null); // already holds that value: nothing to restore
            return Set(new SetRequest(ns, key, old.Value)
            {
                Actor = actor,
                Reason = reason,
                Branch = branch,
                Action = RestoredAction,
                Tags = current?.Tags,
                Details = new EngramMap(MapKind.Ordered) { { "restoredFrom", version } },
            });
        }
    }
}
