using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace Engram.Core.Storage
{
    // The verifier's checks of what only the file storage has (IVerifiedLayout): links inside the store, transaction
    // records that must not be replayed, temp files, taking the lock to re-check a finding, holding it for -Repair.
    // Memories, histories and branches as files: FileStorage.VerifyRecords.cs.
    public sealed partial class FileStorage : IVerifiedLayout
    {
        private const string LinkAdvice =
            "Engram does not follow links inside a store, so every read and write through it is refused (UnsafeStorePath). " +
            "Replace it with the folder or file it points to (moved into the store), or remove it.";

        /// <summary>Runs <paramref name="action"/> holding the store's writer lock; false (without running it) when the lock cannot be taken.</summary>
        bool IVerifiedLayout.UnderRecheckLock(Action action) => UnderRecheckLock(action);

        internal bool UnderRecheckLock(Action action)
        {
            StoreLock held;
            try { held = StoreLock.Acquire(Root, _options.LockTimeout); }
            catch (EngramException) { return false; } // StoreLocked, or UnsafeStorePath: _lock is a link (reported by the scan)
            catch (IOException) { return false; }
            catch (UnauthorizedAccessException) { return false; } // a read-only store
            using (held) action();
            return true;
        }

        string IVerifiedLayout.MemoryNoun => "memory file";

        /// <summary>Interrupted transactions: a Warning each, or an Error when its record must not be replayed.</summary>
        void IVerifiedLayout.CheckJournal(StoreReport report)
        {
            Paths.Forget(); // a verification proves every path again

            var txnDir = Path.Combine(Root, Transaction.Folder);
            if (StorePaths.IsLink(txnDir))
            {
                report.Findings.Add(new StoreFinding(FindingSeverity.Error, "UnsafeStorePath",
                    $"'{txnDir}' is a symbolic link or another reparse point: no transaction is replayed through it and every write is refused. -Repair moves the link, untouched, to '{StorePaths.QuarantineFolder}'.", txnDir));
                return;
            }
            foreach (var dir in Transaction.Pending(Root))
            {
                var i = Transaction.Inspect(Paths, dir);
                if (i.Problem != null)
                    report.Findings.Add(new StoreFinding(FindingSeverity.Error, "CorruptTransaction",
                        $"Transaction '{i.Id}' will not be replayed: {i.Problem}{(i.UnsafePath != null && i.UnsafePath != dir ? $" ('{i.UnsafePath}')" : "")}. " +
                        $"Writes are refused until it is moved away: -Repair moves it, untouched, to '{StorePaths.QuarantineFolder}/{i.Id}'.", dir));
                else
                    report.Findings.Add(new StoreFinding(FindingSeverity.Warning, "InterruptedTransaction",
                        $"Transaction '{i.Id}' was interrupted {(i.Committed ? "after it committed: it will be finished" : "before it committed: it will be discarded")}.", dir));
            }
        }

        /// <summary>The writer lock, after finishing interrupted transactions and moving those that must not be replayed to
        /// <c>_quarantine/</c>; null when a link is in the way (the scan reports it).</summary>
        IDisposable? IVerifiedLayout.HoldForRepair()
        {
            try { return LockForWrite(quarantineCorrupt: true); }
            catch (EngramException ex) when (ex.ErrorId == EngramErrorIds.UnsafeStorePath) { return null; }
        }

        IStorageWrite IVerifiedLayout.RepairWrite() => new FileWriteSession(this);

        /// <summary>Temp files left in <c>_tmp</c> (deleted by repair); nothing when <c>_tmp</c> is a link.</summary>
        void IVerifiedLayout.CheckLeftovers(StoreReport report, bool repair)
        {
            var tmp = Path.Combine(Root, "_tmp");
            if (!Directory.Exists(tmp)) return;
            foreach (var f in VerifiableFiles(tmp, "*", report))
            {
                var finding = new StoreFinding(FindingSeverity.Warning, "OrphanTempFile", $"Temporary file left by an interrupted write: '{f}'.", f);
                report.Findings.Add(finding);
                if (repair) { FileOps.TryDelete(f); finding.Repaired = !File.Exists(f); }
            }
        }

        /// <summary>
        /// Every link or reparse point below the root (not inside <c>_txn</c>, whose folders are inspected as
        /// transactions, nor inside <c>_quarantine</c>): an Error each. Links are never entered, and the rest of the
        /// verification skips everything under them (<see cref="StoreReport.Covers"/>).
        /// </summary>
        void IVerifiedLayout.ScanLinks(StoreReport report)
        {
            var pending = new Stack<string>();
            pending.Push(Root);
            while (pending.Count > 0)
            {
                var dir = pending.Pop();
                List<string> entries;
                try { entries = Directory.EnumerateFileSystemEntries(dir).ToList(); }
                catch (IOException) { continue; } // removed meanwhile
                catch (UnauthorizedAccessException) { continue; }
                foreach (var e in entries.OrderBy(x => x, StringComparer.Ordinal))
                {
                    var a = StorePaths.Attributes(e);
                    if (a == null) continue;
                    bool link = (a.Value & FileAttributes.ReparsePoint) != 0;
                    if (dir == Root && (Path.GetFileName(e) == Transaction.Folder || (!link && Path.GetFileName(e) == StorePaths.QuarantineFolder))) continue;
                    if (link)
                    {
                        report.Links.Add(e);
                        report.Findings.Add(new StoreFinding(FindingSeverity.Error, "UnsafeStorePath",
                            $"'{e}' is a symbolic link or another reparse point. {LinkAdvice}", e, NamespaceOf(e)));
                    }
                    else if ((a.Value & FileAttributes.Directory) != 0) pending.Push(e);
                }
            }
        }

        /// <summary>The namespace a store path belongs to, if any (for findings).</summary>
        private string? NamespaceOf(string path)
        {
            var parts = path.Substring(Root.Length).TrimStart(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar)
                .Split(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
            var candidate = parts.Length > 1 && (parts[0] == Names.ProvenanceNamespace || parts[0] == BranchesFolder) ? parts[1] : parts[0];
            return candidate.Length > 0 && candidate[0] != '_' && Names.IsValidNamespace(candidate) ? candidate : null;
        }

        /// <summary>The files of a folder the verifier may read: none under a link it found, and no link itself.</summary>
        internal static IEnumerable<string> VerifiableFiles(string dir, string pattern, StoreReport report) =>
            report.Covers(dir) ? Enumerable.Empty<string>() : Directory.EnumerateFiles(dir, pattern).Where(f => !report.Covers(f));

        /// <summary>For the per-namespace verifications: an Error finding (and true) when <paramref name="path"/> fails containment.</summary>
        internal bool UnsafeFinding(string path, string ns, string? key, StoreReport report)
        {
            if (Paths.Check(path, out var offender, out _) is string problem)
            {
                report.Findings.Add(new StoreFinding(FindingSeverity.Error, "UnsafeStorePath", $"'{offender}': {problem}. {LinkAdvice}", offender, ns, key));
                return true;
            }
            return false;
        }
    }
}
