using System.Collections.Generic;
using System.Linq;

namespace Engram.Core
{
    /// <summary>Information: worth knowing, not a problem (e.g. an anchored entry retention has squashed).</summary>
    public enum FindingSeverity { Information, Warning, Error }

    /// <summary>One problem found by <see cref="Engine.EngramEngine.Verify"/>.</summary>
    public sealed class StoreFinding
    {
        internal StoreFinding(FindingSeverity severity, string kind, string message, string? path, string? ns = null, string? key = null, long? seq = null)
        {
            Severity = severity;
            Kind = kind;
            Message = message;
            Path = path;
            Namespace = ns;
            Key = key;
            Seq = seq;
        }

        public FindingSeverity Severity { get; }
        /// <summary>Stable kind: MalformedMemory, MissingMemory, MalformedProvenance, BrokenChain, TamperedValue, SequenceGap,
        /// VersionGap, TrailerMismatch, TornAppend, DanglingEntry, HistoryMismatch, InterruptedTransaction, CorruptTransaction,
        /// UnsafeStorePath, OrphanTempFile,
        /// MalformedBranch, UnsupportedFormat, SearchIndexMismatch, DanglingIndexRecord.</summary>
        public string Kind { get; }
        public string Message { get; }
        public string? Path { get; }
        public string? Namespace { get; }
        public string? Key { get; }
        public long? Seq { get; }
        /// <summary>True when -Repair fixed it.</summary>
        public bool Repaired { get; internal set; }
    }

    /// <summary>The result of <see cref="Engine.EngramEngine.Verify"/>.</summary>
    public sealed class StoreReport
    {
        internal StoreReport(string root) { Root = root; }

        private StoreReport(string root, HashSet<string> links) { Root = root; Links = links; }

        /// <summary>An empty report for one part of a verification, sharing the links found (see EngramEngine.Rechecked).</summary>
        internal StoreReport Scratch() => new StoreReport(Root, Links);

        /// <summary>Findings seen while the store was being written that were gone when re-read under its lock.</summary>
        internal int DismissedOnRecheck { get; set; }

        internal void AddCounts(StoreReport part)
        {
            DismissedOnRecheck += part.DismissedOnRecheck;
            MemoriesChecked += part.MemoriesChecked;
            HistoriesChecked += part.HistoriesChecked;
            EntriesChecked += part.EntriesChecked;
            BranchesChecked += part.BranchesChecked;
        }

        public string Root { get; }
        public int MemoriesChecked { get; internal set; }
        public int HistoriesChecked { get; internal set; }
        public long EntriesChecked { get; internal set; }
        public int BranchesChecked { get; internal set; }
        public List<StoreFinding> Findings { get; } = new List<StoreFinding>();
        /// <summary>Links found inside the store by this verification: never followed, everything under them skipped.</summary>
        internal HashSet<string> Links { get; } = new HashSet<string>(System.StringComparer.Ordinal);

        /// <summary>True when <paramref name="path"/> is, or lies under, a link this verification found.</summary>
        internal bool Covers(string path)
        {
            if (Links.Count == 0) return false;
            for (var p = path; p != null && p.Length > Root.Length; p = System.IO.Path.GetDirectoryName(p))
                if (Links.Contains(p)) return true;
            return false;
        }
        /// <summary>True when no warning or error remains unrepaired.</summary>
        public bool Healthy => Findings.All(f => f.Repaired || f.Severity == FindingSeverity.Information);
    }
}
