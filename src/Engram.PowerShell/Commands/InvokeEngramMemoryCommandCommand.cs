using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using Engram.Core;
using Engram.Core.MemoryTool;

namespace Engram.PowerShell.Commands
{
    /// <summary>
    /// Runs one command of Claude's memory tool (view, create, str_replace, insert, delete, rename) against the store,
    /// with /memories/&lt;namespace&gt;/&lt;key&gt; paths: the same implementation as the MCP server's 'memory' tool, so a
    /// PowerShell agent loop can back that tool with Engram. Pipe the tool call's input object (a hashtable, or the
    /// PSCustomObject ConvertFrom-Json makes) straight in; its fields are read by name (command, path, file_text, …).
    /// </summary>
    [Cmdlet(VerbsLifecycle.Invoke, "EngramMemoryCommand", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, DefaultParameterSetName = InputObjectSet)]
    [OutputType(typeof(EngramMemoryCommandResult))]
    public sealed class InvokeEngramMemoryCommandCommand : EngramCmdlet
    {
        private const string InputObjectSet = "InputObject";
        private const string FieldsSet = "Fields";

        /// <summary>The tool call's input: a hashtable or object with the fields command, path, file_text, old_str, new_str,
        /// insert_line, insert_text, view_range, old_path, new_path (snake_case or PascalCase).</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = InputObjectSet)]
        public object? InputObject { get; set; }

        /// <summary>view, create, str_replace, insert, delete or rename.</summary>
        [Parameter(Mandatory = true, ParameterSetName = FieldsSet)]
        [ValidateSet("view", "create", "str_replace", "insert", "delete", "rename")]
        public string Command { get; set; } = "";

        /// <summary>/memories, /memories/&lt;namespace&gt; or /memories/&lt;namespace&gt;/&lt;key&gt;.</summary>
        [Parameter(ParameterSetName = FieldsSet)]
        public string? Path { get; set; }

        /// <summary>create: the whole content.</summary>
        [Parameter(ParameterSetName = FieldsSet)]
        [Alias("file_text")]
        [AllowEmptyString]
        public string? FileText { get; set; }

        /// <summary>str_replace: the text to replace; it must occur exactly once.</summary>
        [Parameter(ParameterSetName = FieldsSet)]
        [Alias("old_str")]
        public string? OldStr { get; set; }

        /// <summary>str_replace: the replacement (default: empty).</summary>
        [Parameter(ParameterSetName = FieldsSet)]
        [Alias("new_str")]
        [AllowEmptyString]
        public string? NewStr { get; set; }

        /// <summary>insert: the line after which the text goes (0: at the top).</summary>
        [Parameter(ParameterSetName = FieldsSet)]
        [Alias("insert_line")]
        public int? InsertLine { get; set; }

        /// <summary>insert: the text to insert.</summary>
        [Parameter(ParameterSetName = FieldsSet)]
        [Alias("insert_text")]
        [AllowEmptyString]
        public string? InsertText { get; set; }

        /// <summary>view: the first and last line to show (1-based; last -1: to the end).</summary>
        [Parameter(ParameterSetName = FieldsSet)]
        [Alias("view_range")]
        public int[]? ViewRange { get; set; }

        /// <summary>rename: the memory's path now.</summary>
        [Parameter(ParameterSetName = FieldsSet)]
        [Alias("old_path")]
        public string? OldPath { get; set; }

        /// <summary>rename: its new path.</summary>
        [Parameter(ParameterSetName = FieldsSet)]
        [Alias("new_path")]
        public string? NewPath { get; set; }

        /// <summary>Who makes the change. Default: $env:ENGRAM_ACTOR, else the OS user name.</summary>
        [Parameter]
        public string? Actor { get; set; }

        /// <summary>Why; recorded with each change (default: "memory tool: &lt;command&gt; &lt;path&gt;").</summary>
        [Parameter]
        public string? Reason { get; set; }

        protected override void ProcessEngramRecord()
        {
            try
            {
                var command = ParameterSetName == FieldsSet
                    ? new MemoryCommand
                    {
                        Command = Command, Path = Path, FileText = FileText, OldStr = OldStr, NewStr = NewStr, InsertLine = InsertLine,
                        InsertText = InsertText, ViewRange = ViewRange, OldPath = OldPath, NewPath = NewPath,
                    }
                    : MemoryCommand.FromFields(FieldReader(InputObject));
                var store = ResolveStore();
                if (MemoryCommandRunner.Changes(command.Command))
                {
                    var target = command.Command == "rename" ? $"{command.OldPath} -> {command.NewPath}" : command.Path;
                    if (!ShouldProcess($"{target} in {store.Root}", "Memory tool: " + command.Command)) return;
                }
                var result = MemoryCommandRunner.Run(store, command, MemoryCommandRunner.Changes(command.Command) ? ResolveActor(Actor) : null, Reason);
                WriteObject(EngramMemory.Wrap(new EngramMemoryCommandResult(result, store.Root), EngramMemoryCommandResult.TypeName));
            }
            catch (EngramException ex)
            {
                WriteEngramError(ex);
            }
        }

        /// <summary>Reads a field by name (case-insensitive) from a dictionary or any object's properties.</summary>
        private static Func<string, object?> FieldReader(object? input)
        {
            var o = input is PSObject ps ? ps.BaseObject : input;
            if (o is IDictionary dict)
            {
                var map = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
                foreach (DictionaryEntry e in dict) if (e.Key != null) map[e.Key.ToString()!] = e.Value;
                return name => map.TryGetValue(name, out var v) ? Plain(v) : null;
            }
#pragma warning disable CA2208 // the name is the cmdlet's parameter (-InputObject), which is what the user sees
            var wrapped = input as PSObject ?? PSObject.AsPSObject(input ?? throw new PSArgumentNullException(nameof(InputObject)));
#pragma warning restore CA2208
            return name => Plain(wrapped.Properties.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))?.Value);
        }

        private static object? Plain(object? v)
        {
            if (v is PSObject p) v = p.BaseObject;
            if (v is string || v == null) return v;
            if (v is IEnumerable items) return items.Cast<object?>().Select(Plain).ToArray();
            return v;
        }
    }

    /// <summary>What a memory-tool command did: <see cref="Text"/> is the tool result for the model.</summary>
    public sealed class EngramMemoryCommandResult
    {
        public const string TypeName = "Engram.MemoryCommandResult";

        internal EngramMemoryCommandResult(MemoryCommandResult r, string store)
        {
            Command = r.Command;
            Path = r.Path;
            Text = r.Text;
            Memory = r.Memory == null ? null : new EngramMemory(r.Memory, store).ToPSObject();
            Version = r.Change?.Version ?? r.Memory?.Version;
            Actor = r.Change?.Actor;
            Reason = r.Change?.Reason;
            Store = store;
        }

        public string Command { get; }
        public string Path { get; }
        public string Text { get; }
        /// <summary>The memory viewed or written (null for directory views and deletes).</summary>
        public PSObject? Memory { get; }
        public int? Version { get; }
        public string? Actor { get; }
        public string? Reason { get; }
        public string Store { get; }

        public override string ToString() => Text;
    }
}
