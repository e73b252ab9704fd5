using System;
using System.Collections.Generic;
using System.Linq;
using Engram.Core.MemoryTool;
using Engram.Core.Values;
using Xunit;
using static Engram.Core.Tests.TestUtil;

namespace Engram.Core.Tests
{
    /// <summary>The memory-tool core: path mapping and refusal, and each command's text and effect on the store.</summary>
    public sealed class MemoryToolTests : System.IDisposable
    {
        private readonly TempStore _t = new TempStore();

        public void Dispose() => _t.Dispose();

        private MemoryCommandResult Run(MemoryCommand c) => MemoryCommandRunner.Run(_t.Store, c, "claude");

        private MemoryCommandResult Create(string path, string text) => Run(new MemoryCommand { Command = "create", Path = path, FileText = text });

        [Theory]
        [InlineData("/memories", MemoryPathKind.Root, null, null)]
        [InlineData("/memories/", MemoryPathKind.Root, null, null)]
        [InlineData("/memories/Projects", MemoryPathKind.Namespace, "projects", null)]
        [InlineData("/memories/projects/", MemoryPathKind.Namespace, "projects", null)]
        [InlineData("/memories/projects/notes.md", MemoryPathKind.Memory, "projects", "notes.md")]
        [InlineData("/memories/projects/a/b c.md", MemoryPathKind.Memory, "projects", "a/b c.md")]
        public void Paths_MapOntoNamespacesAndKeys(string path, MemoryPathKind kind, string? ns, string? key)
        {
            var p = MemoryPath.Parse(path);
            Assert.Equal((kind, ns, key), (p.Kind, p.Namespace, p.Key));
        }

        [Theory]
        [InlineData(null)]
        [InlineData("")]
        [InlineData("/etc/passwd")]
        [InlineData("memories/projects/x")]
        [InlineData("/memoriesx/y")]
        [InlineData("/memories/../etc/passwd")]
        [InlineData("/memories/projects/../../x")]
        [InlineData("/memories/projects/./x")]
        [InlineData("/memories/projects//x")]
        [InlineData("/memories/projects/%2e%2e/x")]
        [InlineData("/memories/projects/a%2Fb")]
        [InlineData("/memories/projects/a\\..\\b")]
        [InlineData("/memories/projects/a\u0001")]
        public void Paths_OutsideMemoriesOrWithTraversal_AreRefused(string? path)
        {
            var before = TestUtil.Snapshot(_t.Parent);
            Throws(EngramErrorIds.InvalidMemoryPath, () => MemoryPath.Parse(path));
            Throws(EngramErrorIds.InvalidMemoryPath, () => Create(path!, "x"));
            Assert.Equal(before.Keys, TestUtil.Snapshot(_t.Parent).Keys);
        }

        [Fact]
        public void NamespaceRules_AreTheStores()
        {
            Throws(EngramErrorIds.ReservedNamespace, () => MemoryPath.Parse("/memories/_provenance/x"));
            Throws(EngramErrorIds.InvalidNamespace, () => MemoryPath.Parse("/memories/bad name/x"));
        }

        [Fact]
        public void View_NumbersLines_HonoursViewRange_AndListsDirectories()
        {
            Create("/memories/projects/notes.md", "one\ntwo\nthree");
            _t.Set("shared", "config", new EngramMap { ["port"] = 8080 });
            var view = Run(new MemoryCommand { Command = "view", Path = "/memories/projects/notes.md" });
            Assert.Equal("Here's the content of /memories/projects/notes.md with line numbers:\n     1\tone\n     2\ttwo\n     3\tthree\n", view.Text);
            Assert.Equal(1, view.Memory!.Version);
            var range = Run(new MemoryCommand { Command = "view", Path = "/memories/projects/notes.md", ViewRange = new[] { 2, -1 } });
            Assert.EndsWith("     2\ttwo\n     3\tthree\n", range.Text);
            Assert.DoesNotContain("one", range.Text);
            Throws(EngramErrorIds.MemoryCommandFailed, () => Run(new MemoryCommand { Command = "view", Path = "/memories/projects/notes.md", ViewRange = new[] { 3, 9 } }));
            Throws(EngramErrorIds.MemoryCommandFailed, () => Run(new MemoryCommand { Command = "view", Path = "/memories/projects/notes.md", ViewRange = new[] { 1 } }));
            // structured values show as JSON
            Assert.Contains("\"port\": 8080", Run(new MemoryCommand { Command = "view", Path = "/memories/shared/config" }).Text);

            var root = Run(new MemoryCommand { Command = "view", Path = "/memories" }).Text.Split('\n');
            Assert.StartsWith("Here're the files and directories up to 2 levels deep in /memories", root[0]);
            Assert.Contains("13\t/memories/projects/notes.md", root);
            Assert.Contains("13\t/memories/projects", root);
            Assert.Contains(root, l => l.EndsWith("\t/memories/shared/config", StringComparison.Ordinal));
            var ns = Run(new MemoryCommand { Command = "view", Path = "/memories/projects" }).Text.Split('\n');
            Assert.Equal(new[] { "13\t/memories/projects", "13\t/memories/projects/notes.md", "" }, ns.Skip(1).ToArray());
            Throws(EngramErrorIds.MemoryNotFound, () => Run(new MemoryCommand { Command = "view", Path = "/memories/nothing" }));
            Throws(EngramErrorIds.MemoryNotFound, () => Run(new MemoryCommand { Command = "view", Path = "/memories/projects/nothing" }));
        }

        [Fact]
        public void View_OfAnEmptyStore_ListsNothing_AndCreatesNothing()
        {
            var text = MemoryCommandRunner.Run(_t.Store, new MemoryCommand { Command = "view", Path = "/memories" }).Text;
            Assert.Equal("Here're the files and directories up to 2 levels deep in /memories, excluding hidden items and node_modules:\n0\t/memories\n", text);
            Assert.False(System.IO.Directory.Exists(_t.Root));
        }

        [Fact]
        public void StrReplace_NeedsExactlyOneOccurrence()
        {
            Create("/memories/projects/n", "a b\nb c");
            var none = Throws(EngramErrorIds.MemoryCommandFailed, () => Run(new MemoryCommand { Command = "str_replace", Path = "/memories/projects/n", OldStr = "zzz", NewStr = "y" }));
            Assert.Contains("did not appear verbatim", none.Message);
            var many = Throws(EngramErrorIds.MemoryCommandFailed, () => Run(new MemoryCommand { Command = "str_replace", Path = "/memories/projects/n", OldStr = "b", NewStr = "y" }));
            Assert.Contains("lines: 1, 2", many.Message);
            Throws(EngramErrorIds.MemoryCommandFailed, () => Run(new MemoryCommand { Command = "str_replace", Path = "/memories/projects/n", OldStr = "" }));
            Assert.Equal(1, _t.Store.Get("projects", "n").Version);
            Run(new MemoryCommand { Command = "str_replace", Path = "/memories/projects/n", OldStr = "a b", NewStr = "" });
            Assert.Equal("\nb c", _t.Store.Get("projects", "n").Value);
        }

        [Fact]
        public void StructuredValues_AreNotEditedAsText()
        {
            _t.Set("shared", "config", new EngramMap { ["port"] = 8080 });
            Throws(EngramErrorIds.MemoryCommandFailed, () => Run(new MemoryCommand { Command = "str_replace", Path = "/memories/shared/config", OldStr = "8080", NewStr = "1" }));
            Throws(EngramErrorIds.MemoryCommandFailed, () => Run(new MemoryCommand { Command = "insert", Path = "/memories/shared/config", InsertLine = 0, InsertText = "x" }));
        }

        [Fact]
        public void Insert_GoesAfterTheLine_WithinRange()
        {
            Create("/memories/projects/n", "one\ntwo");
            Run(new MemoryCommand { Command = "insert", Path = "/memories/projects/n", InsertLine = 0, InsertText = "zero" });
            Run(new MemoryCommand { Command = "insert", Path = "/memories/projects/n", InsertLine = 3, InsertText = "three\nfour" });
            Assert.Equal("zero\none\ntwo\nthree\nfour", _t.Store.Get("projects", "n").Value);
            var ex = Throws(EngramErrorIds.MemoryCommandFailed, () => Run(new MemoryCommand { Command = "insert", Path = "/memories/projects/n", InsertLine = 6, InsertText = "x" }));
            Assert.Contains("[0, 5]", ex.Message);
            Throws(EngramErrorIds.MemoryCommandFailed, () => Run(new MemoryCommand { Command = "insert", Path = "/memories/projects/n", InsertText = "x" }));
            Create("/memories/projects/empty", "");
            Run(new MemoryCommand { Command = "insert", Path = "/memories/projects/empty", InsertLine = 0, InsertText = "first" });
            Assert.Equal("first", _t.Store.Get("projects", "empty").Value);
        }

        [Fact]
        public void Create_Overwrites_KeepingHistory_AndEveryChangeIsTracked()
        {
            Assert.Equal("File created successfully at: /memories/session/n", Create("/memories/session/n", "v1").Text);
            Assert.StartsWith("File /memories/session/n has been overwritten", Create("/memories/session/n", "v2").Text);
            var history = _t.Store.GetProvenance("session", "n").ToList(); // 'session' is untracked by default: the tool tracks anyway
            Assert.Equal(new[] { "created", "revised" }, history.Select(e => e.Action));
            Assert.All(history, e => Assert.Equal("claude", e.Actor));
            Assert.Equal("memory tool: create /memories/session/n", history[0].Reason);
            Throws(EngramErrorIds.MemoryCommandFailed, () => Run(new MemoryCommand { Command = "create", Path = "/memories/session/x" }));
            Throws(EngramErrorIds.InvalidMemoryPath, () => Create("/memories/session", "x"));
        }

        [Fact]
        public void DeleteAndRename()
        {
            Create("/memories/projects/a", "A");
            Create("/memories/projects/b", "B");
            Throws(EngramErrorIds.MemoryCommandFailed, () => Run(new MemoryCommand { Command = "rename", OldPath = "/memories/projects/a", NewPath = "/memories/projects/b" }));
            Throws(EngramErrorIds.MemoryNotFound, () => Run(new MemoryCommand { Command = "rename", OldPath = "/memories/projects/zz", NewPath = "/memories/projects/c" }));
            Throws(EngramErrorIds.InvalidMemoryPath, () => Run(new MemoryCommand { Command = "rename", OldPath = "/memories/projects/a", NewPath = "/tmp/c" }));
            Assert.Equal("Successfully renamed /memories/projects/a to /memories/shared/a2",
                Run(new MemoryCommand { Command = "rename", OldPath = "/memories/projects/a", NewPath = "/memories/shared/a2" }).Text);
            Assert.Equal("A", _t.Store.Get("shared", "a2").Value);
            Assert.Null(_t.Store.TryGet("projects", "a"));
            Throws(EngramErrorIds.InvalidMemoryPath, () => Run(new MemoryCommand { Command = "delete", Path = "/memories" }));
            Assert.Equal("Successfully deleted /memories/projects", Run(new MemoryCommand { Command = "delete", Path = "/memories/projects" }).Text);
            Assert.Empty(_t.Store.ListKeys("projects", null));
            Assert.Equal("deleted", _t.Store.GetProvenance("projects", "b").Last().Action);
            Throws(EngramErrorIds.MemoryCommandFailed, () => Run(new MemoryCommand { Command = "chmod", Path = "/memories/shared/a2" }));
        }

        [Fact]
        public void FromFields_ReadsSnakeOrPascalCase()
        {
            var fields = new Dictionary<string, object?>(System.StringComparer.OrdinalIgnoreCase)
            {
                ["command"] = "view", ["path"] = "/memories/x/y", ["ViewRange"] = new object[] { 1L, -1 }, ["insert_line"] = "2",
            };
            var c = MemoryCommand.FromFields(n => fields.TryGetValue(n, out var v) ? v : null);
            Assert.Equal(("view", "/memories/x/y", 2), (c.Command, c.Path, c.InsertLine!.Value));
            Assert.Equal(new[] { 1, -1 }, c.ViewRange);
            fields["insert_line"] = "two";
            Throws(EngramErrorIds.MemoryCommandFailed, () => MemoryCommand.FromFields(n => fields.TryGetValue(n, out var v) ? v : null));
        }
    }
}
