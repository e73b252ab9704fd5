using System;
using System.Linq;
using Engram.Core;

namespace Engram.PowerShell
{
    /// <summary>A branch, as Get-EngramBranch emits it (PSTypeName Engram.Branch).</summary>
    public sealed class EngramBranch
    {
        public const string TypeName = "Engram.Branch";

        internal EngramBranch(BranchInfo info, string store)
        {
            var r = info.Record;
            Name = r.Name;
            Branch = r.Name;
            Namespace = r.Namespace;
            ForkedFrom = r.Parent;
            Scope = r.Keys == null ? "Namespace" : "Keys";
            Keys = r.Keys?.ToArray();
            ChangedCount = info.ChangedCount;
            Created = r.CreatedUtc.ToLocalTime();
            Actor = r.Actor;
            Reason = r.Reason;
            Store = store;
        }

        public string Name { get; }
        /// <summary>Same as Name, so a branch pipes into -Branch parameters by property name.</summary>
        public string Branch { get; }
        public string Namespace { get; }
        public string ForkedFrom { get; }
        /// <summary>Namespace (whole namespace forked) or Keys (some memories).</summary>
        public string Scope { get; }
        public string[]? Keys { get; }
        /// <summary>Memories changed on the branch and not merged yet.</summary>
        public int ChangedCount { get; }
        public DateTime Created { get; }
        public string Actor { get; }
        public string? Reason { get; }
        public string Store { get; }
        /// <summary>The store this object is from; -Store binds from it (see EngramOrigin).</summary>
        public EngramOrigin PSOrigin => new EngramOrigin(Store, null);

        public override string ToString() => Namespace + "@" + Name;
    }

    /// <summary>A memory changed differently on main and on a branch (PSTypeName Engram.MergeConflict).</summary>
    public sealed class EngramMergeConflict
    {
        public const string TypeName = "Engram.MergeConflict";

        internal EngramMergeConflict(string ns, string branch, MergeItem item)
        {
            Namespace = ns;
            Branch = branch;
            Key = item.Key;
            BaseValue = ValueConverter.ToPowerShell(item.Base?.Value);
            OursValue = ValueConverter.ToPowerShell(item.Ours?.Value);
            TheirsValue = ValueConverter.ToPowerShell(item.Theirs?.Value);
            BaseVersion = item.Base?.Version;
            OursVersion = item.Ours?.Version;
            TheirsVersion = item.Theirs?.Version;
            OursDeleted = item.Ours == null;
            TheirsDeleted = item.Theirs == null;
            Resolution = item.Resolution;
        }

        public string Namespace { get; }
        public string Branch { get; }
        public string Key { get; }
        /// <summary>The key again, under the name -LiteralKey binds from the pipeline: a piped object that names a memory
        /// selects exactly that key, never a wildcard pattern (the PSPath/-LiteralPath convention).</summary>
        public string PSKey => Key;
        public object? BaseValue { get; }
        public object? OursValue { get; }
        public object? TheirsValue { get; }
        public int? BaseVersion { get; }
        public int? OursVersion { get; }
        public int? TheirsVersion { get; }
        public bool OursDeleted { get; }
        public bool TheirsDeleted { get; }
        /// <summary>ours, theirs, conflict-branch:&lt;name&gt;, or empty when the merge stopped.</summary>
        public string? Resolution { get; }

        public override string ToString() => $"{Namespace}/{Key} ({Branch})";
    }

    /// <summary>The outcome of Merge-EngramBranch (PSTypeName Engram.MergeResult).</summary>
    public sealed class EngramMergeResult
    {
        public const string TypeName = "Engram.MergeResult";

        internal EngramMergeResult(MergeResult r, string store)
        {
            Namespace = r.Namespace;
            Branch = r.Branch;
            Into = r.Into;
            Strategy = r.Strategy.ToString();
            Applied = r.Applied;
            Merged = r.Merged.Select(i => i.Key).ToArray();
            Unchanged = r.Unchanged.Select(i => i.Key).ToArray();
            Conflicted = r.Conflicts.Select(i => i.Key).ToArray();
            Conflicts = r.Conflicts.Select(i => new EngramMergeConflict(r.Namespace, r.Branch, i)).ToArray();
            ConflictBranches = r.ConflictBranches.ToArray();
            Store = store;
        }

        public string Namespace { get; }
        public string Branch { get; }
        public string Into { get; }
        public string Strategy { get; }
        /// <summary>False for -WhatIf: what would happen.</summary>
        public bool Applied { get; }
        public string[] Merged { get; }
        public string[] Unchanged { get; }
        public string[] Conflicted { get; }
        public EngramMergeConflict[] Conflicts { get; }
        public string[] ConflictBranches { get; }
        public string Store { get; }
        /// <summary>The store this object is from; -Store binds from it (see EngramOrigin).</summary>
        public EngramOrigin PSOrigin => new EngramOrigin(Store, null);
    }

    /// <summary>The result of Test-EngramStore (PSTypeName Engram.StoreReport).</summary>
    public sealed class EngramStoreReport
    {
        public const string TypeName = "Engram.StoreReport";

        internal EngramStoreReport(StoreReport r)
        {
            Store = r.Root;
            Healthy = r.Healthy;
            MemoriesChecked = r.MemoriesChecked;
            HistoriesChecked = r.HistoriesChecked;
            EntriesChecked = r.EntriesChecked;
            BranchesChecked = r.BranchesChecked;
            Findings = r.Findings.Select(f => new EngramStoreFinding(f)).ToArray();
        }

        public string Store { get; }
        /// <summary>The store this object is from; -Store binds from it (see EngramOrigin).</summary>
        public EngramOrigin PSOrigin => new EngramOrigin(Store, null);
        public bool Healthy { get; }
        public int MemoriesChecked { get; }
        public int HistoriesChecked { get; }
        public long EntriesChecked { get; }
        public int BranchesChecked { get; }
        public EngramStoreFinding[] Findings { get; }
    }

    /// <summary>One problem found by Test-EngramStore (PSTypeName Engram.StoreFinding).</summary>
    public sealed class EngramStoreFinding
    {
        public const string TypeName = "Engram.StoreFinding";

        internal EngramStoreFinding(StoreFinding f)
        {
            Severity = f.Severity.ToString();
            Kind = f.Kind;
            Namespace = f.Namespace;
            Key = f.Key;
            Seq = f.Seq;
            Path = f.Path;
            Message = f.Message;
            Repaired = f.Repaired;
        }

        public string Severity { get; }
        public string Kind { get; }
        public string? Namespace { get; }
        public string? Key { get; }
        public long? Seq { get; }
        public string? Path { get; }
        public string Message { get; }
        public bool Repaired { get; }

        public override string ToString() => $"{Severity} {Kind}: {Message}";
    }
}

namespace Engram.PowerShell
{
    /// <summary>One structural difference between two versions or branches of a memory (PSTypeName Engram.MemoryChange).</summary>
    public sealed class EngramMemoryChange
    {
        public const string TypeName = "Engram.MemoryChange";

        internal EngramMemoryChange(string ns, string key, Engram.Core.History.ValueChange c, string fromLabel, string toLabel)
        {
            Namespace = ns;
            Key = key;
            Path = c.Path.Length == 0 ? "(value)" : c.Path;
            Change = c.Kind.ToString();
            Before = ValueConverter.ToPowerShell(c.Before);
            After = ValueConverter.ToPowerShell(c.After);
            From = fromLabel;
            To = toLabel;
        }

        public string Namespace { get; }
        public string Key { get; }
        /// <summary>The key again, under the name -LiteralKey binds from the pipeline: a piped object that names a memory
        /// selects exactly that key, never a wildcard pattern (the PSPath/-LiteralPath convention).</summary>
        public string PSKey => Key;
        /// <summary>Property path: <c>port</c>, <c>db.host</c>, <c>hosts[1]</c>, or <c>(value)</c> for the whole value.</summary>
        public string Path { get; }
        /// <summary>Added, Removed or Modified.</summary>
        public string Change { get; }
        public object? Before { get; }
        public object? After { get; }
        /// <summary>What was compared, e.g. <c>main v2</c>.</summary>
        public string From { get; }
        public string To { get; }

        public override string ToString() => $"{Change} {Path}";
    }
}
