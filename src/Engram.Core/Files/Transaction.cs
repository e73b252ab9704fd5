using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;

namespace Engram.Core.Storage
{
    /// <summary>Thrown by a fault hook to simulate the process dying at that point: nothing is cleaned up or rolled back.</summary>
    public sealed class SimulatedCrashException : Exception
    {
        public SimulatedCrashException(string step) : base("Simulated crash at step '" + step + "'.") { Step = step; }
        public string Step { get; }
    }

    /// <summary>
    /// An all-or-nothing change to several files. Protocol (the caller holds the store lock throughout):
    /// <list type="number">
    /// <item>Stage: every new file content is written under <c>_txn/&lt;id&gt;/</c>.</item>
    /// <item>Commit point: the list of operations is written to <c>_txn/&lt;id&gt;/intent</c> and renamed to
    /// <c>_txn/&lt;id&gt;/committed</c>. Before this rename the store is untouched; after it the change is decided.</item>
    /// <item>Apply, in order, each step idempotent: a replaced or deleted file is first moved to
    /// <c>_txn/&lt;id&gt;/backup/N</c>, then the staged file is renamed into place; an append truncates the target to
    /// its recorded length and appends.</item>
    /// <item>Clean up: backups and the transaction folder are deleted.</item>
    /// </list>
    /// An exception inside the process before clean-up rolls back (backups renamed back, appends truncated): the store
    /// is byte-for-byte as before. A process that dies leaves the folder; <see cref="Recover"/> (run by the next writer)
    /// finishes a committed transaction and discards an uncommitted one.
    /// </summary>
    public sealed partial class Transaction : IDisposable
    {
        internal enum OpKind { Write, Delete, Append, DeleteTree }

        internal sealed class Op
        {
            public OpKind Kind;
            public string Target = "";   // relative to the store root, '/'-separated
            public long Length;          // Append: target length before
            public int Index;
        }

        private readonly StorePaths _paths;
        private readonly string _root;
        private readonly string _dir;
        private readonly Durability _durability;
        private readonly Action<string>? _hook;
        private readonly List<Op> _ops = new List<Op>();
        private readonly HashSet<string> _targets = new HashSet<string>(StringComparer.Ordinal);
        private readonly List<string> _createdDirs = new List<string>(); // folders applying created: removed again on rollback
        private bool _committed;
        private bool _done;

        internal const string Folder = "_txn";

        internal Transaction(StorePaths paths, Durability durability, Action<string>? hook)
        {
            _paths = paths;
            _root = paths.Root;
            _durability = durability;
            _hook = hook;
            _dir = Path.Combine(_root, Folder, DateTime.UtcNow.ToString("yyyyMMddHHmmssfff", CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N").Substring(0, 8));
            paths.Prove(_dir); // _txn must not be a link
            Directory.CreateDirectory(_dir);
        }

        public int Count => _ops.Count;

        private string Rel(string fullPath, OpKind kind)
        {
            // The same rule as for a record read back from disk (TransactionRecord.TargetProblem): a transaction only
            // ever names a store file of a known kind, so a record naming anything else can only be planted.
            var rel = _paths.Relative(fullPath);
            var problem = TargetProblem(kind.ToString(), rel);
            if (problem != null) throw new InvalidOperationException($"A transaction cannot {kind} '{rel}': {problem}.");
            if (!_targets.Add(rel)) throw new InvalidOperationException($"'{rel}' is changed twice in one transaction.");
            return rel;
        }

        private string Abs(string rel) => Path.Combine(_root, rel.Replace('/', Path.DirectorySeparatorChar));

        /// <summary>Stages the new content of a file (created or replaced at commit).</summary>
        public void Write(string path, string content) => Write(path, FileOps.GetBytes(content));

        /// <summary>Stages the new content of a file, as bytes.</summary>
        public void Write(string path, byte[] bytes)
        {
            var op = new Op { Kind = OpKind.Write, Target = Rel(path, OpKind.Write), Index = _ops.Count };
            var staged = Path.Combine(_dir, "s" + op.Index.ToString(CultureInfo.InvariantCulture));
            using (var fs = new FileStream(staged, FileMode.CreateNew, FileAccess.Write))
            {
                fs.Write(bytes, 0, bytes.Length);
                if (_durability == Durability.Full) fs.Flush(true);
            }
            _ops.Add(op);
        }

        /// <summary>Deletes a file at commit (no-op if it does not exist then).</summary>
        public void Delete(string path) => _ops.Add(new Op { Kind = OpKind.Delete, Target = Rel(path, OpKind.Delete), Index = _ops.Count });

        /// <summary>Deletes a folder and everything in it at commit.</summary>
        public void DeleteTree(string path) => _ops.Add(new Op { Kind = OpKind.DeleteTree, Target = Rel(path, OpKind.DeleteTree), Index = _ops.Count });

        /// <summary>Appends to a file at commit; the file's current length is recorded for replay and rollback.</summary>
        public void Append(string path, string content, long currentLength)
        {
            var op = new Op { Kind = OpKind.Append, Target = Rel(path, OpKind.Append), Length = currentLength, Index = _ops.Count };
            File.WriteAllBytes(Path.Combine(_dir, "s" + op.Index.ToString(CultureInfo.InvariantCulture)), FileOps.GetBytes(content));
            _ops.Add(op);
        }

        private void Hook(string step) => _hook?.Invoke(step);

        /// <summary>Commits: writes the intent, applies it, cleans up. Rolls back on any exception except a simulated crash.</summary>
        public void Commit()
        {
            if (_done) throw new InvalidOperationException("The transaction is finished.");
            int applied = 0;
            // Validate, then mutate: every target is proven (no link on its way) before the commit point.
            foreach (var op in _ops)
            {
                var problem = TargetStateProblem(_paths, _dir, op, fromDisk: false, out var unsafePath);
                if (problem != null) throw StorePaths.Unsafe(unsafePath ?? Abs(op.Target), problem);
            }
            try
            {
                Hook("staged");
                var intent = Path.Combine(_dir, "intent");
                File.WriteAllText(intent, Serialize(_ops), new UTF8Encoding(false));
                if (_durability == Durability.Full) using (var fs = new FileStream(intent, FileMode.Open, FileAccess.ReadWrite)) fs.Flush(true);
                Hook("intent-written");
                FileOps.ReplaceByRename(intent, Path.Combine(_dir, "committed"));
                _committed = true;
                Hook("committed");
                foreach (var op in _ops)
                {
                    NoteMissingFolders(op);
                    Apply(_root, _dir, op, _durability);
                    applied++;
                    Hook("applied-" + applied.ToString(CultureInfo.InvariantCulture));
                }
                Hook("before-cleanup");
            }
            catch (SimulatedCrashException)
            {
                _done = true; // leave everything as a dead process would
                throw;
            }
            catch
            {
                Rollback(applied);
                throw;
            }
            _done = true;
            Cleanup(_dir);
        }

        private void Rollback(int applied)
        {
            // Undo applied ops in reverse, then forget the transaction. If the commit marker exists and rollback
            // cannot finish, the next Recover finishes the transaction instead: the store is never left half-way.
            try
            {
                for (int i = applied; i >= 0; i--)
                {
                    if (i >= _ops.Count) continue;
                    Undo(_ops[i]);
                }
                RemoveCreatedFolders();
                _paths.Forget(); // folders it created are gone again
                if (_committed) File.Delete(Path.Combine(_dir, "committed"));
                _done = true;
                Cleanup(_dir);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }

        /// <summary>Remembers the folders that applying <paramref name="op"/> will create (a new branch's folder, its
        /// <c>mem/</c> or <c>base/</c>, a new namespace), so a rollback leaves no empty folder behind.</summary>
        private void NoteMissingFolders(Op op)
        {
            if (op.Kind != OpKind.Write && op.Kind != OpKind.Append) return;
            var root = Path.GetFullPath(_root).TrimEnd(Path.DirectorySeparatorChar);
            var dir = Path.GetDirectoryName(Abs(op.Target));
            while (!string.IsNullOrEmpty(dir) && dir!.Length > root.Length && !Directory.Exists(dir))
            {
                _createdDirs.Add(dir);
                dir = Path.GetDirectoryName(dir);
            }
        }

        private void RemoveCreatedFolders()
        {
            foreach (var dir in _createdDirs.Distinct(StringComparer.Ordinal).OrderByDescending(d => d.Length))
                if (Directory.Exists(dir) && !Directory.EnumerateFileSystemEntries(dir).Any()) Directory.Delete(dir);
        }

        private void Undo(Op op)
        {
            var target = Abs(op.Target);
            var backup = Path.Combine(_dir, "b" + op.Index.ToString(CultureInfo.InvariantCulture));
            var staged = Path.Combine(_dir, "s" + op.Index.ToString(CultureInfo.InvariantCulture));
            switch (op.Kind)
            {
                case OpKind.Append:
                    if (File.Exists(target) && new FileInfo(target).Length > op.Length) FileOps.Truncate(target, op.Length);
                    break;
                case OpKind.Write:
                case OpKind.Delete:
                case OpKind.DeleteTree:
                    if (op.Kind == OpKind.Write && !File.Exists(staged) && File.Exists(target))
                        FileOps.ReplaceByRename(target, staged); // our new content goes back to staging
                    if (File.Exists(backup)) FileOps.ReplaceByRename(backup, target);
                    else if (Directory.Exists(backup)) Directory.Move(backup, target);
                    break;
            }
        }

        public void Dispose()
        {
            if (_done) return;
            _done = true;
            if (!_committed) Cleanup(_dir);
        }

        private static void Cleanup(string dir)
        {
            try
            {
                // The commit marker goes first: a folder that cannot be deleted completely (a file held open on Windows)
                // must not be replayed by a later Recover over writes made since, which would undo them.
                var marker = Path.Combine(dir, "committed");
                if (File.Exists(marker)) File.Delete(marker);
                if (Directory.Exists(dir)) Directory.Delete(dir, true);
                var parent = Path.GetDirectoryName(dir)!;
                if (Directory.Exists(parent) && !Directory.EnumerateFileSystemEntries(parent).Any()) Directory.Delete(parent);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }

        // ---------------------------------------------------------------- apply (idempotent, shared with recovery)

        private static void Apply(string root, string dir, Op op, Durability durability)
        {
            var target = Path.Combine(root, op.Target.Replace('/', Path.DirectorySeparatorChar));
            var staged = Path.Combine(dir, "s" + op.Index.ToString(CultureInfo.InvariantCulture));
            var backup = Path.Combine(dir, "b" + op.Index.ToString(CultureInfo.InvariantCulture));
            switch (op.Kind)
            {
                case OpKind.Write:
                    if (!File.Exists(staged)) return; // already applied
                    if (File.Exists(target) && !File.Exists(backup)) FileOps.ReplaceByRename(target, backup);
                    Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                    FileOps.ReplaceByRename(staged, target);
                    return;
                case OpKind.Delete:
                    if (File.Exists(target) && !File.Exists(backup)) FileOps.ReplaceByRename(target, backup);
                    return;
                case OpKind.DeleteTree:
                    if (Directory.Exists(target) && !Directory.Exists(backup)) Directory.Move(target, backup);
                    return;
                case OpKind.Append:
                    {
                        if (!File.Exists(staged)) return;
                        var bytes = File.ReadAllBytes(staged);
                        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                        using (var fs = new FileStream(target, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read))
                        {
                            if (fs.Length < op.Length)
                                throw new IOException($"'{target}' is shorter ({fs.Length}) than when the transaction was prepared ({op.Length}).");
                            fs.SetLength(op.Length);
                            fs.Seek(0, SeekOrigin.End);
                            fs.Write(bytes, 0, bytes.Length);
                            if (durability == Durability.Full) fs.Flush(true);
                        }
                        return;
                    }
            }
        }

        private static string Serialize(List<Op> ops)
        {
            var sb = new StringBuilder("engram-txn 1\n");
            foreach (var op in ops)
                sb.Append(op.Kind).Append(' ').Append(op.Index).Append(' ').Append(op.Length).Append(' ').Append(op.Target).Append('\n');
            sb.Append("end\n");
            return sb.ToString();
        }
    }
}
