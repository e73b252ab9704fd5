using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using Engram.Core.Provenance;

namespace Engram.Core.MemoryTool
{
    /// <summary>
    /// Runs Claude's memory-tool commands against a store: one implementation behind the MCP tool <c>memory</c> and the
    /// cmdlet Invoke-EngramMemoryCommand. Every change is a tracked write (or delete) with the actor and a reason, and
    /// edits are conditional on the version read, so two agents editing one memory never lose a change silently.
    /// </summary>
    public static class MemoryCommandRunner
    {
        /// <summary>The provenance action of the copy a rename writes (the old path gets a 'deleted' entry).</summary>
        public const string RenamedAction = "renamed";

        /// <summary>Whether a command changes the store (everything but view).</summary>
        public static bool Changes(string? command) => command != null && command != "view" && MemoryCommand.Commands.Contains(command);

        /// <param name="reason">Recorded with each change; default "memory tool: &lt;command&gt; &lt;path&gt;".</param>
        public static MemoryCommandResult Run(IEngramStore store, MemoryCommand command, string? actor = null, string? reason = null)
        {
            if (store == null) throw new ArgumentNullException(nameof(store));
            if (command == null) throw new ArgumentNullException(nameof(command));
            switch (command.Command)
            {
                case "view": return View(store, command);
                case "create": return Create(store, command, actor, reason);
                case "str_replace": return Replace(store, command, actor, reason);
                case "insert": return Insert(store, command, actor, reason);
                case "delete": return Delete(store, command, actor, reason);
                case "rename": return Rename(store, command, actor, reason);
                default:
                    throw new EngramException(EngramErrorIds.MemoryCommandFailed, EngramErrorKind.InvalidArgument,
                        $"'{command.Command}' is not a memory command: use {string.Join(", ", MemoryCommand.Commands)}.", command.Command);
            }
        }

        internal static EngramException Failed(string message, object? target) =>
            new EngramException(EngramErrorIds.MemoryCommandFailed, EngramErrorKind.InvalidOperation, message, target);

        private static string Why(string? reason, string command, string path) => string.IsNullOrWhiteSpace(reason) ? "memory tool: " + command + " " + path : reason!;

        // ------------------------------------------------------------------ view

        private static MemoryCommandResult View(IEngramStore store, MemoryCommand c)
        {
            var path = MemoryPath.Parse(c.Path);
            if (path.Kind != MemoryPathKind.Memory)
            {
                if (c.ViewRange != null) throw Failed("'view_range' applies to a memory, not to a directory.", c.Path);
                return new MemoryCommandResult("view", path.ToString(), Listing(store, path), null, null);
            }
            var memory = Existing(store, path);
            var lines = SplitLines(TextOf(memory));
            int first = 1, last = lines.Count;
            if (c.ViewRange != null)
            {
                if (c.ViewRange.Length != 2) throw Failed("'view_range' is two line numbers: [first, last] (last -1: to the end).", c.Path);
                first = c.ViewRange[0];
                last = c.ViewRange[1] == -1 ? lines.Count : c.ViewRange[1];
                if (first < 1 || first > Math.Max(1, lines.Count) || last < first || last > lines.Count)
                    throw Failed($"Invalid 'view_range' [{c.ViewRange[0]}, {c.ViewRange[1]}]: {path} has {lines.Count} lines; the range is [first, last] within [1, {lines.Count}] (last -1: to the end).", c.Path);
            }
            var sb = new StringBuilder("Here's the content of ").Append(path).Append(" with line numbers:\n");
            for (int i = first; i <= last && i <= lines.Count; i++)
                sb.Append(i.ToString(CultureInfo.InvariantCulture).PadLeft(6)).Append('\t').Append(lines[i - 1]).Append('\n');
            return new MemoryCommandResult("view", path.ToString(), sb.ToString(), memory, null);
        }

        private static string Listing(IEngramStore store, MemoryPath path)
        {
            var rows = new List<(string path, long size, int depth)>();
            if (store.Exists)
            {
                var namespaces = path.Kind == MemoryPathKind.Root ? store.ListNamespaces().ToList() : new List<string> { path.Namespace! };
                if (path.Kind == MemoryPathKind.Namespace && !store.ListNamespaces().Contains(path.Namespace!))
                    throw NotFound(path);
                foreach (var ns in namespaces)
                {
                    var keys = store.ListKeys(ns, null);
                    var files = new List<(string, long, int)>();
                    long total = 0;
                    foreach (var key in keys)
                    {
                        var m = store.TryGet(ns, key);
                        if (m == null) continue;
                        long size = Encoding.UTF8.GetByteCount(TextOf(m));
                        total += size;
                        files.Add((MemoryPath.For(ns, key), size, 2));
                    }
                    rows.Add((MemoryPath.RootPath + "/" + ns, total, 1));
                    rows.AddRange(files);
                }
            }
            else if (path.Kind == MemoryPathKind.Namespace) throw NotFound(path);
            var sb = new StringBuilder("Here're the files and directories up to 2 levels deep in ").Append(path)
                .Append(", excluding hidden items and node_modules:\n");
            sb.Append(Size(rows.Where(r => r.depth == 1).Sum(r => r.size))).Append('\t').Append(path).Append('\n');
            foreach (var r in rows.Where(r => path.Kind == MemoryPathKind.Root || r.depth == 2))
                sb.Append(Size(r.size)).Append('\t').Append(r.path).Append('\n');
            return sb.ToString();
        }

        private static string Size(long bytes) =>
            bytes < 1024 ? bytes.ToString(CultureInfo.InvariantCulture)
            : bytes < 1024 * 1024 ? (bytes / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + "K"
            : (bytes / (1024.0 * 1024)).ToString("0.0", CultureInfo.InvariantCulture) + "M";

        // ------------------------------------------------------------------ writes

        private static MemoryCommandResult Create(IEngramStore store, MemoryCommand c, string? actor, string? reason)
        {
            var path = MemoryPath.Parse(c.Path);
            if (path.Kind != MemoryPathKind.Memory) throw MemoryPath.Invalid(c.Path, $"create writes a memory: {MemoryPath.RootPath}/<namespace>/<key>, not '{path}'.");
            if (c.FileText == null) throw Failed("'file_text' is required for create.", c.Path);
            var existed = store.Exists && store.TryGet(path.Namespace!, path.Key!) != null;
            var result = Write(store, path, c.FileText, null, actor, Why(reason, "create", path.ToString()), null);
            var text = existed ? $"File {path} has been overwritten (its earlier versions are kept in its history)." : $"File created successfully at: {path}";
            return new MemoryCommandResult("create", path.ToString(), text, result.Memory, Summary(result, actor));
        }

        private static MemoryCommandResult Replace(IEngramStore store, MemoryCommand c, string? actor, string? reason)
        {
            var path = RequireMemoryPath(c.Path, "str_replace");
            if (string.IsNullOrEmpty(c.OldStr)) throw Failed("'old_str' is required for str_replace and cannot be empty.", c.Path);
            var memory = Existing(store, path);
            var text = EditableText(memory, path);
            var at = text.IndexOf(c.OldStr!, StringComparison.Ordinal);
            if (at < 0) throw Failed($"No replacement was performed, old_str `{c.OldStr}` did not appear verbatim in {path}.", c.Path);
            var again = text.IndexOf(c.OldStr!, at + 1, StringComparison.Ordinal);
            if (again >= 0)
            {
                var lines = new List<int>();
                for (int i = at; i >= 0; i = text.IndexOf(c.OldStr!, i + 1, StringComparison.Ordinal)) lines.Add(LineOf(text, i));
                throw Failed($"No replacement was performed. Multiple occurrences of old_str `{c.OldStr}` in lines: {string.Join(", ", lines.Distinct())}. Please ensure it is unique.", c.Path);
            }
            var updated = text.Substring(0, at) + (c.NewStr ?? "") + text.Substring(at + c.OldStr!.Length);
            var result = Write(store, path, updated, memory, actor, Why(reason, "str_replace", path.ToString()), null);
            return new MemoryCommandResult("str_replace", path.ToString(), "The memory file has been edited.", result.Memory, Summary(result, actor));
        }

        private static MemoryCommandResult Insert(IEngramStore store, MemoryCommand c, string? actor, string? reason)
        {
            var path = RequireMemoryPath(c.Path, "insert");
            if (c.InsertLine == null) throw Failed("'insert_line' is required for insert.", c.Path);
            if (c.InsertText == null) throw Failed("'insert_text' is required for insert.", c.Path);
            var memory = Existing(store, path);
            var lines = SplitLines(EditableText(memory, path));
            var n = c.InsertLine.Value;
            if (n < 0 || n > lines.Count)
                throw Failed($"Invalid `insert_line` parameter: {n}. It should be within the range of lines of the file: [0, {lines.Count}].", c.Path);
            var updated = lines.Take(n).Concat(c.InsertText.Split('\n')).Concat(lines.Skip(n)).ToList();
            var result = Write(store, path, string.Join("\n", updated), memory, actor, Why(reason, "insert", path.ToString()), null);
            return new MemoryCommandResult("insert", path.ToString(), $"The file {path} has been edited.", result.Memory, Summary(result, actor));
        }

        private static MemoryCommandResult Delete(IEngramStore store, MemoryCommand c, string? actor, string? reason)
        {
            var path = MemoryPath.Parse(c.Path);
            if (path.Kind == MemoryPathKind.Root) throw MemoryPath.Invalid(c.Path, $"{MemoryPath.RootPath} itself cannot be deleted; delete a namespace or a memory under it.");
            var why = Why(reason, "delete", path.ToString());
            if (path.Kind == MemoryPathKind.Namespace)
            {
                if (!store.Exists || !store.ListNamespaces().Contains(path.Namespace!)) throw NotFound(path);
                foreach (var key in store.ListKeys(path.Namespace!, null)) store.Remove(path.Namespace!, key, actor, why);
                return new MemoryCommandResult("delete", path.ToString(), $"Successfully deleted {path}", null, null);
            }
            var memory = Existing(store, path);
            store.Remove(path.Namespace!, path.Key!, actor, why);
            return new MemoryCommandResult("delete", path.ToString(), $"Successfully deleted {path}", null,
                new ProvenanceSummary(path.Namespace!, path.Key!, memory.Version, ProvenanceActions.Deleted, Actor(actor), why));
        }

        private static MemoryCommandResult Rename(IEngramStore store, MemoryCommand c, string? actor, string? reason)
        {
            var from = MemoryPath.Parse(c.OldPath, "old_path");
            var to = MemoryPath.Parse(c.NewPath, "new_path");
            if (from.Kind != MemoryPathKind.Memory || to.Kind != MemoryPathKind.Memory)
                throw MemoryPath.Invalid(from.Kind != MemoryPathKind.Memory ? c.OldPath : c.NewPath, "rename moves one memory: both paths are /memories/<namespace>/<key>.");
            if (from.ToString() == to.ToString()) throw Failed($"The old and new paths are the same: {from}.", c.OldPath);
            var memory = Existing(store, from);
            if (store.TryGet(to.Namespace!, to.Key!) != null) throw Failed($"The destination {to} already exists.", c.NewPath);
            var why = Why(reason, "rename", from + " -> " + to);
            // The copy is conditional on the destination not existing, and records where it came from (pinned version);
            // the old path then gets its 'deleted' entry. A failure between the two leaves both, never neither.
            var result = store.Set(new SetRequest(to.Namespace!, to.Key!, memory.Value)
            {
                Tags = memory.Tags,
                Actor = actor,
                Reason = why,
                TrackProvenance = true,
                Action = RenamedAction,
                ExpectedVersion = 0,
                DerivedFrom = new[] { new MemoryRef(from.Namespace!, from.Key!, memory.Version) },
            });
            store.Remove(from.Namespace!, from.Key!, actor, why);
            return new MemoryCommandResult("rename", to.ToString(), $"Successfully renamed {from} to {to}", result.Memory, Summary(result, actor));
        }

        private static SetResult Write(IEngramStore store, MemoryPath path, string text, MemoryRecord? read, string? actor, string reason, string? action) =>
            store.Set(new SetRequest(path.Namespace!, path.Key!, text)
            {
                Actor = actor,
                Reason = reason,
                TrackProvenance = true,
                Action = action,
                // An edit is made against the version read: a concurrent change in between is refused, not overwritten.
                ExpectedVersion = read?.Version,
            });

        private static ProvenanceSummary Summary(SetResult r, string? actor) =>
            new ProvenanceSummary(r.Memory.Namespace, r.Memory.Key, r.Memory.Version, r.Entry?.Action ?? "unchanged", r.Entry?.Actor ?? Actor(actor), r.Entry?.Reason ?? "");

        private static string Actor(string? actor) => Engine.Rules.WriteRules.NormalizeActor(actor);

        // ------------------------------------------------------------------ helpers

        private static MemoryPath RequireMemoryPath(string? p, string command)
        {
            var path = MemoryPath.Parse(p);
            if (path.Kind != MemoryPathKind.Memory) throw MemoryPath.Invalid(p, $"{command} edits a memory: {MemoryPath.RootPath}/<namespace>/<key>, not '{path}'.");
            return path;
        }

        private static MemoryRecord Existing(IEngramStore store, MemoryPath path)
        {
            var m = store.Exists ? store.TryGet(path.Namespace!, path.Key!) : null;
            return m ?? throw NotFound(path);
        }

        private static EngramException NotFound(MemoryPath path) =>
            new EngramException(EngramErrorIds.MemoryNotFound, EngramErrorKind.NotFound, $"The path {path} does not exist. Please provide a valid path.", path.ToString());

        /// <summary>A memory's content as the tool shows it: a string as is, anything else as JSON.</summary>
        public static string TextOf(MemoryRecord memory) => memory.Value as string ?? History.Json.Serialize(memory.Value);

        private static string EditableText(MemoryRecord memory, MemoryPath path) =>
            memory.Value as string ?? throw Failed($"{path} holds structured data (not text); edit it with create, or with engram_put / Set-EngramMemory.", path.ToString());

        private static List<string> SplitLines(string text) => text.Length == 0 ? new List<string>() : text.Split('\n').ToList();

        private static int LineOf(string text, int index)
        {
            int line = 1;
            for (int i = 0; i < index; i++) if (text[i] == '\n') line++;
            return line;
        }
    }
}
