using System.Collections.Generic;
using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Nodes;
using Engram.Core;
using Engram.Core.MemoryTool;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using static Engram.Mcp.ToolResults;

namespace Engram.Mcp
{
    /// <summary>Claude's memory tool (view, create, str_replace, insert, delete, rename over /memories/&lt;namespace&gt;/&lt;key&gt;) backed by the store.</summary>
    [McpServerToolType]
    public sealed class MemoryToolTools
    {
        private readonly EngramToolContext _ctx;
        private readonly ILogger _log;

        public MemoryToolTools(EngramToolContext ctx, ILogger<MemoryToolTools> log)
        {
            _ctx = ctx;
            _log = log;
        }

        [McpServerTool(Name = "memory", Destructive = true, Idempotent = false, OpenWorld = false)]
        [Description("Claude's memory tool over Engram: files under /memories are memories, /memories/<namespace>/<key>. Commands: "
            + "view (a directory lists namespaces and keys; a file shows its lines numbered; view_range [first, last]), create (path, file_text), "
            + "str_replace (path, old_str that occurs exactly once, new_str), insert (path, insert_line: after that line, 0 = top; insert_text), "
            + "delete (path), rename (old_path, new_path). Every change is kept in the memory's history with you as the actor.")]
        public CallToolResult Memory(McpServer server,
            [Description("view, create, str_replace, insert, delete or rename.")] string command,
            [Description("/memories, /memories/<namespace> or /memories/<namespace>/<key> (all but rename).")] string? path = null,
            [Description("create: the whole content.")] string? file_text = null,
            [Description("str_replace: the text to replace; must occur exactly once.")] string? old_str = null,
            [Description("str_replace: the replacement (default empty).")] string? new_str = null,
            [Description("insert: the line after which the text goes (0: at the top).")] int? insert_line = null,
            [Description("insert: the text to insert.")] string? insert_text = null,
            [Description("view: [first, last] line numbers, 1-based; last -1 means to the end.")] int[]? view_range = null,
            [Description("rename: the memory's path now.")] string? old_path = null,
            [Description("rename: its new path.")] string? new_path = null)
        {
            var cmd = new MemoryCommand
            {
                Command = command, Path = path, FileText = file_text, OldStr = old_str, NewStr = new_str, InsertLine = insert_line,
                InsertText = insert_text, ViewRange = view_range, OldPath = old_path, NewPath = new_path,
            };
            var result = Run(_log, "memory", () =>
            {
                var r = MemoryCommandRunner.Run(_ctx.Store, cmd, MemoryCommandRunner.Changes(command) ? _ctx.ActorFor(server) : null);
                var o = new JsonObject { ["command"] = r.Command, ["path"] = r.Path, ["text"] = r.Text };
                if (r.Memory != null) o["memory"] = ToolResults.Memory(r.Memory, withValue: false);
                if (r.Change != null)
                    o["change"] = new JsonObject
                    {
                        ["namespace"] = r.Change.Namespace, ["key"] = r.Change.Key, ["version"] = r.Change.Version,
                        ["action"] = r.Change.Action, ["actor"] = r.Change.Actor, ["reason"] = r.Change.Reason,
                    };
                return o;
            });
            // The model reads the text: Claude's memory tool answers in plain words, not JSON.
            if (result.IsError != true && result.StructuredContent is JsonElement s && s.TryGetProperty("text", out var text))
                result.Content = new List<ContentBlock> { new TextContentBlock { Text = text.GetString() ?? "" } };
            return result;
        }
    }
}
