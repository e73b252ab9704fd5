using System.Collections.Generic;
using System.Linq;

namespace Engram.Core
{
    /// <summary>How <see cref="Engine.EngramEngine.Merge"/> resolves memories changed differently on both sides.</summary>
    public enum MergeStrategy
    {
        /// <summary>Any conflict: nothing changes, the conflicts are reported.</summary>
        Fail,
        /// <summary>Keep main's version.</summary>
        Ours,
        /// <summary>Take the branch's version.</summary>
        Theirs,
        /// <summary>Merge what merges cleanly; move each conflicting memory's incoming version to a new branch.</summary>
        ConflictBranch,
    }

    /// <summary>What happened (or would happen) to one memory in a merge.</summary>
    public enum MergeOutcome { Unchanged, Merged, Conflict }

    /// <summary>One memory in a merge: the three versions and what was decided.</summary>
    public sealed class MergeItem
    {
        internal MergeItem(string key, MemoryRecord? baseRec, MemoryRecord? ours, MemoryRecord? theirs, MergeOutcome outcome)
        {
            Key = key;
            Base = baseRec;
            Ours = ours;
            Theirs = theirs;
            Outcome = outcome;
        }

        public string Key { get; }
        /// <summary>The merge base (null: did not exist at the fork).</summary>
        public MemoryRecord? Base { get; }
        /// <summary>Main's version (null: does not exist / deleted).</summary>
        public MemoryRecord? Ours { get; }
        /// <summary>The branch's version (null: deleted on the branch).</summary>
        public MemoryRecord? Theirs { get; }
        public MergeOutcome Outcome { get; }
        /// <summary>For conflicts: "ours", "theirs", "conflict-branch:&lt;name&gt;" or null (Fail).</summary>
        public string? Resolution { get; internal set; }
    }

    /// <summary>The outcome of a merge, or of its plan (<see cref="Applied"/> false).</summary>
    public sealed class MergeResult
    {
        internal MergeResult(string ns, string branch, MergeStrategy strategy, List<MergeItem> items)
        {
            Namespace = ns;
            Branch = branch;
            Strategy = strategy;
            Items = items;
        }

        public string Namespace { get; }
        public string Branch { get; }
#pragma warning disable CA1822 // a property of the result (shown by Merge-EngramBranch's view), not of the type
        public string Into => Names.DefaultBranch;
#pragma warning restore CA1822
        public MergeStrategy Strategy { get; }
        public IReadOnlyList<MergeItem> Items { get; }
        public bool Applied { get; internal set; }
        public List<string> ConflictBranches { get; } = new List<string>();
        public IEnumerable<MergeItem> Merged => Items.Where(i => i.Outcome == MergeOutcome.Merged);
        public IEnumerable<MergeItem> Unchanged => Items.Where(i => i.Outcome == MergeOutcome.Unchanged);
        public IEnumerable<MergeItem> Conflicts => Items.Where(i => i.Outcome == MergeOutcome.Conflict);
    }

    /// <summary>Thrown by a merge with <see cref="MergeStrategy.Fail"/> that found conflicts; nothing was changed.</summary>
    public sealed class MergeConflictException : EngramException
    {
        internal MergeConflictException(MergeResult plan)
            : base(EngramErrorIds.MergeConflict, EngramErrorKind.InvalidOperation,
                $"Merging branch '{plan.Branch}' into main in '{plan.Namespace}' found {plan.Conflicts.Count()} conflict(s): {string.Join(", ", plan.Conflicts.Select(c => c.Key).Take(10))}. Nothing was changed. Use -Strategy Ours, Theirs or ConflictBranch to resolve.",
                plan.Namespace + "@" + plan.Branch)
        {
            Plan = plan;
        }

        public MergeResult Plan { get; }
    }
}
