using System;
using System.Collections.Generic;

namespace Engram.Core.MemoryTool
{
    /// <summary>
    /// One command of Claude's client-side memory tool (<c>view</c>, <c>create</c>, <c>str_replace</c>, <c>insert</c>,
    /// <c>delete</c>, <c>rename</c>), with the tool's own field names in the comments. The MCP tool <c>memory</c> and the
    /// cmdlet Invoke-EngramMemoryCommand both build one and run it through <see cref="MemoryCommandRunner"/>.
    /// </summary>
    public sealed class MemoryCommand
    {
        public static readonly IReadOnlyList<string> Commands = new[] { "view", "create", "str_replace", "insert", "delete", "rename" };

        /// <summary><c>command</c></summary>
        public string Command { get; set; } = "";
        /// <summary><c>path</c>: <c>/memories</c>, <c>/memories/&lt;namespace&gt;</c> or <c>/memories/&lt;namespace&gt;/&lt;key&gt;</c>.</summary>
        public string? Path { get; set; }
        /// <summary><c>file_text</c> (create)</summary>
        public string? FileText { get; set; }
        /// <summary><c>old_str</c> (str_replace): must occur exactly once.</summary>
        public string? OldStr { get; set; }
        /// <summary><c>new_str</c> (str_replace)</summary>
        public string? NewStr { get; set; }
        /// <summary><c>insert_line</c> (insert): the text goes after this line; 0 inserts at the top.</summary>
        public int? InsertLine { get; set; }
        /// <summary><c>insert_text</c> (insert)</summary>
        public string? InsertText { get; set; }
        /// <summary><c>view_range</c> (view): [first, last] lines, 1-based; last -1 means to the end.</summary>
        public int[]? ViewRange { get; set; }
        /// <summary><c>old_path</c> (rename)</summary>
        public string? OldPath { get; set; }
        /// <summary><c>new_path</c> (rename)</summary>
        public string? NewPath { get; set; }

        /// <summary>Builds a command from a field bag (JSON arguments, a hashtable): keys are the tool's snake_case names
        /// (PascalCase accepted too, case-insensitively). Unknown fields are ignored, as the tool's schema may grow.</summary>
        public static MemoryCommand FromFields(Func<string, object?> field)
        {
            object? F(string snake) => field(snake) ?? field(snake.Replace("_", ""));
            return new MemoryCommand
            {
                Command = AsString(F("command"), "command") ?? "",
                Path = AsString(F("path"), "path"),
                FileText = AsString(F("file_text"), "file_text"),
                OldStr = AsString(F("old_str"), "old_str"),
                NewStr = AsString(F("new_str"), "new_str"),
                InsertLine = AsInt(F("insert_line"), "insert_line"),
                InsertText = AsString(F("insert_text"), "insert_text"),
                ViewRange = AsRange(F("view_range")),
                OldPath = AsString(F("old_path"), "old_path"),
                NewPath = AsString(F("new_path"), "new_path"),
            };
        }

        private static string? AsString(object? v, string name) => v == null ? null : v as string ?? Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture);

        private static int? AsInt(object? v, string name)
        {
            if (v == null) return null;
            try { return Convert.ToInt32(v, System.Globalization.CultureInfo.InvariantCulture); }
            catch (Exception ex) when (ex is FormatException || ex is InvalidCastException || ex is OverflowException)
            {
                throw MemoryCommandRunner.Failed($"'{name}' must be a whole number, not '{v}'.", v);
            }
        }

        private static int[]? AsRange(object? v)
        {
            if (v == null) return null;
            if (v is string || !(v is System.Collections.IEnumerable items))
                throw MemoryCommandRunner.Failed("'view_range' is a list of two line numbers: [first, last] (last -1: to the end).", v);
            var list = new List<int>();
            foreach (var item in items) list.Add(AsInt(item, "view_range") ?? throw MemoryCommandRunner.Failed("'view_range' holds a null.", v));
            return list.ToArray();
        }
    }

    /// <summary>What a memory command did: the text the tool returns to the model, and the memory it changed or showed.</summary>
    public sealed class MemoryCommandResult
    {
        internal MemoryCommandResult(string command, string path, string text, MemoryRecord? memory, ProvenanceSummary? change)
        {
            Command = command;
            Path = path;
            Text = text;
            Memory = memory;
            Change = change;
        }

        public string Command { get; }
        public string Path { get; }
        /// <summary>The tool result text, worded as Claude's memory tool words it.</summary>
        public string Text { get; }
        /// <summary>The memory viewed or written (null for directory views, deletes).</summary>
        public MemoryRecord? Memory { get; }
        /// <summary>The change recorded (null for views).</summary>
        public ProvenanceSummary? Change { get; }

        public override string ToString() => Text;
    }

    /// <summary>The provenance of one memory-tool change: which memory, which version, who and why.</summary>
    public sealed class ProvenanceSummary
    {
        internal ProvenanceSummary(string ns, string key, int version, string action, string actor, string reason)
        {
            Namespace = ns;
            Key = key;
            Version = version;
            Action = action;
            Actor = actor;
            Reason = reason;
        }

        public string Namespace { get; }
        public string Key { get; }
        public int Version { get; }
        public string Action { get; }
        public string Actor { get; }
        public string Reason { get; }
    }
}
