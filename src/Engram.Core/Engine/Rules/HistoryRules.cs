using System;
using Engram.Core.Provenance;
using Engram.Core.Storage;

namespace Engram.Core.Engine.Rules
{
    /// <summary>How a history is read against its memory: which newest entry is a write that never finished (the
    /// dangling-entry rule), and which means the memory itself was lost (the lost-file rule). Writers, readers and the
    /// verifier share these rules; they matter only on a storage that can leave dangling entries
    /// (<see cref="IEngramStorage.CanLeaveDanglingEntries"/>).</summary>
    internal static class HistoryRules
    {
        /// <summary>
        /// Whether the main line's last entry, which disagrees with the memory, is a write that died before the memory
        /// was replaced (and so may be cut): one version ahead of the memory, a deletion of the memory's version, or —
        /// with no memory — a first create or a re-create after a deletion (<paramref name="firstOrAfterDeletion"/>,
        /// asked only then). Anything else is committed history.
        /// </summary>
        internal static bool LooksDangling(string action, int version, MemoryRecord? current, Func<bool> firstOrAfterDeletion) =>
            current == null
                ? action != ProvenanceActions.Deleted && firstOrAfterDeletion()
                : (action == ProvenanceActions.Deleted && version == current.Version) || version == current.Version + 1;

        /// <summary>
        /// The other side of <see cref="LooksDangling"/> when there is no memory: the main line's last entry is a
        /// committed write (not a deletion, and not a create that may have died before its rename), so the memory was lost
        /// (deleted by hand, or damaged and moved away) while its history is intact. Writers continue that history (the
        /// next version follows the last one; nothing is cut), readers show it whole, and <c>Test-EngramStore -Repair</c>
        /// rebuilds the memory from it.
        /// </summary>
        internal static bool FileLost(string action, MemoryRecord? current, Func<bool> firstOrAfterDeletion) =>
            current == null && action != ProvenanceActions.Deleted && !firstOrAfterDeletion();

        /// <summary>True when the main-line entry before an entry is none, a deletion, or a squash (which may hide it).</summary>
        internal static bool IsFirstOrAfterDeletion(string? previousMainAction) =>
            previousMainAction == null || previousMainAction == ProvenanceActions.Deleted || previousMainAction == ProvenanceActions.Squashed;

        /// <summary>True when the newest entry shows the memory as it is (its version, or its deletion).</summary>
        internal static bool Consistent(string action, int version, MemoryRecord? current) =>
            current == null ? action == ProvenanceActions.Deleted : action != ProvenanceActions.Deleted && version == current.Version;

        internal static bool Consistent(HistoryTail tail, MemoryRecord? current) => Consistent(tail.Action, tail.Version, current);

        /// <summary>With no memory, only a (re-)create can have died after its append: its entry is the first on main or
        /// follows a deletion. Anything else (say a revision, when the file was deleted by hand) is committed history.</summary>
        internal static bool IsFirstOrFollowsDeletion(IStorageView view, HistoryTail tail)
        {
            var prev = view.ReadPrevious(tail);
            while (prev != null && prev.Branch != Names.DefaultBranch) prev = view.ReadPrevious(prev);
            return IsFirstOrAfterDeletion(prev?.Action);
        }

        /// <summary>The newest main-line entry at or before <paramref name="tail"/> (walking back over branch entries); null if none.</summary>
        internal static HistoryTail? LastMain(IStorageView view, HistoryTail tail)
        {
            for (HistoryTail? t = tail; t != null; t = view.ReadPrevious(t))
                if (t.Branch == Names.DefaultBranch) return t;
            return null;
        }
    }
}
