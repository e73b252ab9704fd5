using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Engram.Core.Provenance;
using Engram.Core.Storage;
using Engram.Core.Values;

namespace Engram.Core
{
    public sealed partial class EngramStore
    {
        internal const string BranchesFolder = Engram.Core.Storage.FileStorage.BranchesFolder;
        internal string BranchesDir(string ns) => Files.BranchesDir(ns);
        internal string BranchDir(string ns, string branch) => Files.BranchDir(ns, branch);
        internal string BranchRecordPath(string ns, string branch) => Files.BranchRecordPath(ns, branch);
        internal string OverlayPath(string ns, string branch, string key) => Files.OverlayPath(ns, branch, key);
        internal string BasePath(string ns, string branch, string key) => Files.BasePath(ns, branch, key);
        internal string DerivedIndexPath(string ns, string key) => Files.DerivedIndexPath(ns, key);

        // ------------------------------------------------------------------ layout

        // Each path is proven (StorePaths) when it is built.

        // ------------------------------------------------------------------ branch records

        private BranchRecord RequireBranch(string ns, string branch) =>
            TryGetBranch(ns, branch) ?? throw StoreErrors.BranchMissing(ns, branch);

        /// <summary>Live branches of <paramref name="ns"/> that read <paramref name="key"/> from main and have no merge base for it yet.</summary>
        internal List<string> BranchesNeedingBase(string ns, string key)
        {
            var dir = Path.Combine(Root, BranchesFolder, ns);
            var result = new List<string>();
            if (_paths.Prove(dir) != PathKind.Directory) return result; // one probe on the hot path when there are no branches
            foreach (var bdir in _paths.Directories(dir))
            {
                var branch = Path.GetFileName(bdir);
                var recordText = TryReadText(_paths.Proven(Path.Combine(bdir, "branch.yaml")));
                if (recordText == null) continue;
                var record = BranchRecord.Parse(recordText, Path.Combine(bdir, "branch.yaml"));
                if (!record.Covers(key)) continue;
                if (File.Exists(BasePath(ns, branch, key))) continue;
                result.Add(branch);
            }
            return result;
        }

        /// <summary>Stages, for each branch, the memory as main has it now (or a tombstone when it does not exist).</summary>
        internal void StageBaseSnapshots(Transaction txn, IEnumerable<string> branches, MemoryRecord? current, string ns, string key)
        {
            var snapshot = MemoryFile.Serialize(current ?? MemoryRecord.Tombstone("", ns, key, 0, Names.DefaultBranch));
            foreach (var b in branches) txn.Write(BasePath(ns, b, key), snapshot);
        }

        private MemoryRecord? ReadFile(string path, string ns, string branch)
        {
            var text = TryReadText(path);
            return text == null ? null : MemoryFile.Parse(text, ns, path, branch);
        }

        /// <summary>
        /// The memory as the branch sees it, tombstones included: its own version if it changed it, else the merge base
        /// kept when main changed after the fork, else main's current version. Null: never existed for the branch.
        /// </summary>
        internal MemoryRecord? ReadViewRaw(string ns, string branch, string key)
        {
            if (branch == Names.DefaultBranch) return TryGet(ns, key);
            var overlay = ReadFile(OverlayPath(ns, branch, key), ns, branch);
            if (overlay != null) return overlay;
            var baseRec = ReadFile(BasePath(ns, branch, key), ns, branch);
            if (baseRec != null) return baseRec;
            return TryGet(ns, key)?.OnBranch(branch);
        }

        // ------------------------------------------------------------------ fork

        // ------------------------------------------------------------------ writes on a branch

    }
}
