using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;

namespace Engram.Core.Storage
{
    // Reading back what a transaction left on disk: the commit record is data from disk like any other, so it is
    // proven before one byte of it is applied. A record Engram could not have written (a target outside the store, a
    // kind of file no transaction changes, a link on the way, a malformed line) is never replayed: the next writer
    // refuses to start (TransactionCorrupt / UnsafeStorePath), Test-EngramStore reports it as an Error, and -Repair
    // moves the whole folder, untouched, to _quarantine/.
    public sealed partial class Transaction
    {
        /// <summary>A commit record line longer than this is refused without being read further.</summary>
        internal const int MaxRecordLine = 4096;

        private const string LinkProblem = "it is a symbolic link or another reparse point; Engram does not follow links inside a store";

        /// <summary>
        /// The layout rule: why a transaction may not apply <paramref name="kind"/> to <paramref name="target"/> (relative,
        /// '/'-separated), or null when it may. A transaction only changes engram.yaml, memory files, histories, derived
        /// indexes and branch files, and removes only a branch's folder.
        /// </summary>
        internal static string? TargetProblem(string kind, string target)
        {
            if (string.IsNullOrEmpty(target)) return "the target is empty";
            if (target.Length > 1024) return "the target is longer than any path Engram writes";
            foreach (var c in target)
                if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '^' || c == '~' || c == '-' || c == '/'))
                    return $"the target '{Show(target)}' has a character no store path has (U+{(int)c:X4})";
            var s = target.Split('/');
            foreach (var seg in s)
                if (seg.Length == 0 || seg == "." || seg == "..")
                    return $"the target '{target}' is absolute or has an empty, '.' or '..' segment: it would lead outside the store";

            string? what = null;
            string[] kinds = Array.Empty<string>();
            if (s.Length == 1 && s[0] == StoreConfig.FileName) { what = "store configuration"; kinds = new[] { "Write" }; }
            else if (s.Length == 2 && IsNamespace(s[0]) && IsStemFile(s[1], ".yaml")) { what = "memory file"; kinds = new[] { "Write", "Delete" }; }
            else if (s.Length == 3 && s[0] == Names.ProvenanceNamespace && IsNamespace(s[1]) && IsStemFile(s[2], ".prov")) { what = "history"; kinds = new[] { "Write", "Append" }; }
            else if (s.Length == 4 && s[0] == Names.ProvenanceNamespace && s[1] == "_derived" && IsNamespace(s[2]) && IsStemFile(s[3], ".idx")) { what = "derived-from index"; kinds = new[] { "Write", "Append" }; }
            else if (s.Length == 3 && s[0] == SearchIndex.Folder && IsNamespace(s[1]) && s[2] == SearchIndex.LogName) { what = "search index log"; kinds = new[] { "Write", "Append" }; }
            else if (s.Length == 3 && s[0] == SearchIndex.Folder && IsNamespace(s[1]) && SearchIndex.IsSegmentName(s[2])) { what = "search index segment"; kinds = new[] { "Write", "Delete" }; }
            else if (s.Length >= 3 && s[0] == EngramStore.BranchesFolder && IsNamespace(s[1]) && IsBranch(s[2]))
            {
                if (s.Length == 3) { what = "branch folder"; kinds = new[] { "DeleteTree" }; }
                else if (s.Length == 4 && s[3] == "branch.yaml") { what = "branch record"; kinds = new[] { "Write" }; }
                else if (s.Length == 5 && (s[3] == "mem" || s[3] == "base") && IsStemFile(s[4], ".yaml")) { what = "branch memory file"; kinds = new[] { "Write", "Delete" }; }
            }
            if (what == null) return $"'{target}' is not a file a transaction changes";
            if (Array.IndexOf(kinds, kind) < 0) return $"a transaction does not {kind} a {what} ('{target}')";
            return null;
        }

        private static string Show(string s) => s.Length > 120 ? s.Substring(0, 120) + "…" : s;

        private static bool IsNamespace(string s) => s[0] != '_' && Names.IsValidNamespace(s);

        private static bool IsBranch(string s)
        {
            try { return Names.NormalizeBranch(s) == s && s != Names.DefaultBranch; }
            catch (EngramException) { return false; }
        }

        private static bool IsStemFile(string name, string ext)
        {
            if (!name.EndsWith(ext, StringComparison.Ordinal) || name.Length == ext.Length) return false;
            var stem = name.Substring(0, name.Length - ext.Length);
            if (stem[0] == '~') return stem.Length == 41 && stem.Skip(1).All(c => (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
            try
            {
                var key = Names.DecodeKey(stem);
                return key != null && Names.EncodeKey(key) == stem;
            }
            catch (EngramException) { return false; }
        }

        /// <summary>
        /// Why the files of <paramref name="op"/> are not in a state it may be applied to, or null. Its target must be
        /// proven (no link on the way) and of the right type; for a record read back from disk, its staged file and
        /// backup must not be links either, and an append's history must be at least as long as recorded.
        /// <paramref name="unsafePath"/> is set when the problem is a link or a path outside (UnsafeStorePath).
        /// </summary>
        private static string? TargetStateProblem(StorePaths paths, string dir, Op op, bool fromDisk, out string? unsafePath)
        {
            unsafePath = null;
            var target = paths.Full(op.Target);
            var problem = paths.Check(target, out var offender, out var kind);
            if (problem != null)
            {
                unsafePath = offender;
                return problem;
            }
            if (op.Kind == OpKind.DeleteTree ? kind == PathKind.File : kind == PathKind.Directory)
                return $"its target '{op.Target}' is a {(kind == PathKind.File ? "file" : "folder")}, which a {op.Kind} does not change";
            if (!fromDisk) return null;
            var index = op.Index.ToString(CultureInfo.InvariantCulture);
            foreach (var part in new[] { "s" + index, "b" + index })
            {
                var p = Path.Combine(dir, part);
                var a = StorePaths.Attributes(p);
                if (a == null) continue;
                if ((a.Value & FileAttributes.ReparsePoint) != 0) { unsafePath = p; return LinkProblem; }
                bool isDir = (a.Value & FileAttributes.Directory) != 0;
                if (isDir != (part[0] == 'b' && op.Kind == OpKind.DeleteTree))
                    return $"its {(part[0] == 's' ? "staged" : "backup")} '{part}' is a {(isDir ? "folder" : "file")}";
            }
            if (op.Kind == OpKind.Append && File.Exists(Path.Combine(dir, "s" + index)))
            {
                long have = kind == PathKind.File ? new FileInfo(target).Length : 0;
                if (have < op.Length)
                    return $"it appends to '{op.Target}' at byte {op.Length.ToString(CultureInfo.InvariantCulture)}, but the file holds {have.ToString(CultureInfo.InvariantCulture)} bytes";
            }
            return null;
        }

        /// <summary>A pending transaction folder, read and proven without changing anything.</summary>
        internal sealed class Inspection
        {
            internal Inspection(string dir) { Dir = dir; Id = Path.GetFileName(dir); }

            public string Dir { get; }
            public string Id { get; }
            /// <summary>It reached its commit point (it will be finished, unless it has a problem).</summary>
            public bool Committed { get; internal set; }
            /// <summary>Why it must not be replayed; null when it may.</summary>
            public string? Problem { get; internal set; }
            /// <summary>TransactionCorrupt, or UnsafeStorePath for a link or a path outside the store.</summary>
            public string ErrorId { get; internal set; } = EngramErrorIds.TransactionCorrupt;
            public string? UnsafePath { get; internal set; }
            internal List<Op>? Ops;

            internal Inspection Fail(string problem, string? unsafePath = null)
            {
                Problem = problem;
                UnsafePath = unsafePath;
                ErrorId = unsafePath != null ? EngramErrorIds.UnsafeStorePath : EngramErrorIds.TransactionCorrupt;
                return this;
            }

            internal EngramException ToException() => new EngramException(ErrorId, EngramErrorKind.InvalidData,
                $"The interrupted transaction '{Dir}' will not be replayed: {Problem}{(UnsafePath != null && UnsafePath != Dir ? $" ('{UnsafePath}')" : "")}. " +
                "Nothing was changed. Test-EngramStore reports it; Test-EngramStore -Repair moves it, untouched, to the store's _quarantine folder.",
                UnsafePath ?? Dir);
        }

        /// <summary>Reads and proves one pending transaction folder (see <see cref="Pending"/>); changes nothing.</summary>
        internal static Inspection Inspect(StorePaths paths, string dir)
        {
            var i = new Inspection(dir);
            if (StorePaths.IsLink(dir)) return i.Fail(LinkProblem, dir);
            var committed = Path.Combine(dir, "committed");
            var a = StorePaths.Attributes(committed);
            if (a == null) return i; // never committed: discarded
            i.Committed = true;
            if ((a.Value & FileAttributes.ReparsePoint) != 0) return i.Fail(LinkProblem, committed);
            if ((a.Value & FileAttributes.Directory) != 0) return i.Fail("its commit record is a folder");
            List<Op>? ops;
            string? problem;
            try { ops = ReadRecord(committed, out problem); }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException || ex is DecoderFallbackException)
            {
                return i.Fail("its commit record cannot be read: " + ex.Message);
            }
            if (ops == null) return i.Fail("its commit record is unreadable: " + problem);
            foreach (var op in ops)
            {
                var p = TargetStateProblem(paths, dir, op, fromDisk: true, out var unsafePath);
                if (p != null) return i.Fail($"operation {op.Index.ToString(CultureInfo.InvariantCulture)} ({op.Kind} '{op.Target}'): {p}", unsafePath);
            }
            i.Ops = ops;
            return i;
        }

        /// <summary>Parses a commit record strictly, line by line (no line over <see cref="MaxRecordLine"/>); null with the reason when it is not one Engram writes.</summary>
        private static List<Op>? ReadRecord(string path, out string? problem)
        {
            var ops = new List<Op>();
            var targets = new HashSet<string>(StringComparer.Ordinal);
            using (var reader = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read), new UTF8Encoding(false, true)))
            {
                int lineNo = 0;
                bool ended = false;
                string? line;
                while ((line = ReadLine(reader, out problem)) != null)
                {
                    lineNo++;
                    if (ended) { problem = $"line {lineNo} follows its 'end' line"; return null; }
                    if (lineNo == 1)
                    {
                        if (line != "engram-txn 1") { problem = "it does not start with 'engram-txn 1'"; return null; }
                        continue;
                    }
                    if (line == "end") { ended = true; continue; }
                    var parts = line.Split(' ');
                    if (parts.Length != 4) { problem = $"line {lineNo} is not '<kind> <index> <length> <target>'"; return null; }
                    if (!Enum.GetNames(typeof(OpKind)).Contains(parts[0], StringComparer.Ordinal)) { problem = $"line {lineNo} has an unknown operation '{Show(parts[0])}'"; return null; }
                    var kind = (OpKind)Enum.Parse(typeof(OpKind), parts[0]);
                    if (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var index) || index != ops.Count)
                    { problem = $"line {lineNo} has index '{Show(parts[1])}', not {ops.Count}"; return null; }
                    if (!long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var length) || (kind != OpKind.Append && length != 0))
                    { problem = $"line {lineNo} has an invalid length '{Show(parts[2])}'"; return null; }
                    var targetProblem = TargetProblem(parts[0], parts[3]);
                    if (targetProblem != null) { problem = $"line {lineNo}: {targetProblem}"; return null; }
                    if (!targets.Add(parts[3])) { problem = $"line {lineNo} changes '{parts[3]}' a second time"; return null; }
                    ops.Add(new Op { Kind = kind, Index = index, Length = length, Target = parts[3] });
                }
                if (problem != null) return null;
                if (!ended) { problem = lineNo == 0 ? "it is empty" : "it has no 'end' line (it is incomplete)"; return null; }
            }
            problem = null;
            return ops;
        }

        /// <summary>One '\n'-terminated line (null at the end, or with <paramref name="problem"/> set when a line is too long).</summary>
        private static string? ReadLine(StreamReader reader, out string? problem)
        {
            problem = null;
            var sb = new StringBuilder();
            int c;
            while ((c = reader.Read()) >= 0)
            {
                if (c == '\n') return sb.ToString();
                if (sb.Length >= MaxRecordLine)
                {
                    problem = $"a line is longer than {MaxRecordLine} characters";
                    return null;
                }
                sb.Append((char)c);
            }
            return sb.Length == 0 ? null : sb.ToString(); // a last line without '\n'
        }

        /// <summary>What <see cref="Recover"/> did to one interrupted transaction.</summary>
        public sealed class RecoveryAction
        {
            internal RecoveryAction(string id, bool finished, int operations, string? quarantinedBecause = null)
            {
                Id = id;
                Finished = finished;
                Operations = operations;
                QuarantinedBecause = quarantinedBecause;
            }

            public string Id { get; }
            /// <summary>True: it had committed and was finished; false: it had not and was discarded (or was quarantined).</summary>
            public bool Finished { get; }
            public int Operations { get; }
            /// <summary>Set when the record was not replayed but moved to the store's <c>_quarantine</c> folder: why.</summary>
            public string? QuarantinedBecause { get; }
        }

        /// <summary>
        /// Lists interrupted transactions without touching them: the folders (and links, which are refused) in
        /// <c>_txn</c>; plain files there are not transactions and are ignored. Nothing when <c>_txn</c> is a link.
        /// </summary>
        public static IReadOnlyList<string> Pending(string root)
        {
            var dir = Path.Combine(root, Folder);
            var a = StorePaths.Attributes(dir);
            if (a == null || (a.Value & (FileAttributes.ReparsePoint | FileAttributes.Directory)) != FileAttributes.Directory) return Array.Empty<string>();
            return Directory.EnumerateFileSystemEntries(dir)
                .Where(e => { var ea = StorePaths.Attributes(e); return ea != null && (ea.Value & (FileAttributes.Directory | FileAttributes.ReparsePoint)) != 0; })
                .OrderBy(d => d, StringComparer.Ordinal).ToList();
        }

        /// <summary>
        /// Finishes committed and discards uncommitted transactions left by a dead process. Caller holds the lock. Every
        /// pending record is read and proven first; if one must not be replayed, nothing is applied and it throws
        /// (TransactionCorrupt or UnsafeStorePath) — unless <paramref name="quarantine"/>, which moves each such folder
        /// to <c>_quarantine/</c> untouched and recovers the others.
        /// </summary>
        internal static IReadOnlyList<RecoveryAction> Recover(StorePaths paths, Durability durability, bool quarantine = false)
        {
            var done = new List<RecoveryAction>();
            var txnDir = Path.Combine(paths.Root, Folder);
            if (StorePaths.IsLink(txnDir))
            {
                if (!quarantine) throw StorePaths.Unsafe(txnDir, LinkProblem);
                Quarantine(paths, txnDir);
                done.Add(new RecoveryAction(Folder, false, 0, LinkProblem));
                return done;
            }
            var inspections = Pending(paths.Root).Select(d => Inspect(paths, d)).ToList();
            var bad = inspections.FirstOrDefault(i => i.Problem != null);
            if (bad != null && !quarantine) throw bad.ToException();
            foreach (var i in inspections)
            {
                if (i.Problem != null)
                {
                    Quarantine(paths, i.Dir);
                    done.Add(new RecoveryAction(i.Id, false, 0, i.Problem));
                    continue;
                }
                if (i.Committed)
                {
                    foreach (var op in i.Ops!) Apply(paths.Root, i.Dir, op, durability);
                    done.Add(new RecoveryAction(i.Id, true, i.Ops!.Count));
                }
                else done.Add(new RecoveryAction(i.Id, false, 0));
                Cleanup(i.Dir);
            }
            return done;
        }

        /// <summary>Moves a folder or link of the store, untouched (a link is moved, never followed), into <c>_quarantine/</c>.</summary>
        internal static string Quarantine(StorePaths paths, string path)
        {
            var q = Path.Combine(paths.Root, StorePaths.QuarantineFolder);
            paths.Prove(q);
            Directory.CreateDirectory(q);
            var name = Path.GetFileName(path);
            var dest = Path.Combine(q, name);
            for (int n = 1; StorePaths.Attributes(dest) != null; n++) dest = Path.Combine(q, name + "-" + n.ToString(CultureInfo.InvariantCulture));
            var a = StorePaths.Attributes(path);
            if (Path.DirectorySeparatorChar == '\\' && a != null && (a.Value & FileAttributes.Directory) == 0) File.Move(path, dest);
            else Directory.Move(path, dest); // rename(2) on Unix: moves a link (even a dangling one) itself
            return dest;
        }
    }
}
