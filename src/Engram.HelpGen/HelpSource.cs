using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;

namespace Engram.HelpGen
{
    /// <summary>Text of one paragraph-like unit of help: MAML writes each as a maml:para.</summary>
    public sealed class Para
    {
        public Para(string text, bool verbatim)
        {
            Text = text;
            Verbatim = verbatim;
        }

        public string Text { get; }
        /// <summary>Code, output or a table: keep line breaks and indentation.</summary>
        public bool Verbatim { get; }
    }

    public sealed class ExampleDoc
    {
        public ExampleDoc(string title, string code, List<Para> remarks, int line)
        {
            Title = title;
            Code = code;
            Remarks = remarks;
            Line = line;
        }

        public string Title { get; }
        public string Code { get; }
        public List<Para> Remarks { get; }
        public int Line { get; }
    }

    public sealed class ParameterDoc
    {
        public ParameterDoc(string name, List<Para> description, int line, string file)
        {
            Name = name;
            Description = description;
            Line = line;
            File = file;
        }

        public string Name { get; }
        public List<Para> Description { get; }
        public int Line { get; }
        public string File { get; }
        /// <summary>Set when a cmdlet used it (shared descriptions only).</summary>
        public bool Used { get; set; }
    }

    /// <summary>An input or output type note: the heading is the type, the text says what it is for.</summary>
    public sealed class TypeDoc
    {
        public TypeDoc(string name, List<Para> description, int line)
        {
            Name = name;
            Description = description;
            Line = line;
        }

        public string Name { get; }
        public List<Para> Description { get; }
        public int Line { get; }
    }

    public sealed class LinkDoc
    {
        public LinkDoc(string text, string? uri, int line)
        {
            Text = text;
            Uri = uri;
            Line = line;
        }

        public string Text { get; }
        /// <summary>An absolute web address, or null (a local .md link is shown by its text only).</summary>
        public string? Uri { get; }
        public int Line { get; }
    }

    /// <summary>docs/help/&lt;Verb-Noun&gt;.md, parsed. See docs/help/README.md for the format.</summary>
    public sealed class CommandDoc
    {
        public string Name { get; set; } = "";
        public string File { get; set; } = "";
        public List<Para> Synopsis { get; } = new List<Para>();
        public List<Para> Description { get; } = new List<Para>();
        public List<ExampleDoc> Examples { get; } = new List<ExampleDoc>();
        public List<ParameterDoc> Parameters { get; } = new List<ParameterDoc>();
        public List<TypeDoc> Inputs { get; } = new List<TypeDoc>();
        public List<TypeDoc> Outputs { get; } = new List<TypeDoc>();
        public List<Para> Notes { get; } = new List<Para>();
        public List<LinkDoc> Links { get; } = new List<LinkDoc>();
        public int OutputsLine { get; set; }
        public int ParametersLine { get; set; }
    }

    /// <summary>Reads help sources and reports everything wrong with their structure at once.</summary>
    public static class HelpSourceReader
    {
        public const string SharedFileName = "_shared-parameters.md";

        private static readonly string[] KnownSections = { "SYNOPSIS", "DESCRIPTION", "EXAMPLES", "PARAMETERS", "INPUTS", "OUTPUTS", "NOTES", "RELATED LINKS" };
        private static readonly string[] RequiredSections = { "SYNOPSIS", "DESCRIPTION", "EXAMPLES", "PARAMETERS", "INPUTS", "OUTPUTS", "RELATED LINKS" };
        private static readonly Regex ExampleTitle = new Regex(@"^Example\s+(\d+)\s*:\s*(\S.*)$", RegexOptions.CultureInvariant);
        private static readonly Regex ParameterTitle = new Regex(@"^-([A-Za-z][A-Za-z0-9_]*)$", RegexOptions.CultureInvariant);
        private static readonly string[] CodeLanguages = { "", "powershell", "pwsh", "ps", "ps1" };

        public static CommandDoc ReadCommand(string path, List<HelpError> errors)
        {
            var file = Path.GetFullPath(path);
            var doc = new CommandDoc { File = file, Name = Path.GetFileNameWithoutExtension(file) };
            var root = Markdown.Parse(file);

            if (root.Children.Count != 1 || root.Children[0].Level != 1)
            {
                errors.Add(new HelpError("EHG008", $"expected exactly one top-level heading '# {doc.Name}'.", file, root.Children.FirstOrDefault()?.Line ?? 1));
                if (root.Children.Count == 0) return doc;
            }
            var top = root.Children[0];
            if (!string.Equals(top.Title, doc.Name, StringComparison.Ordinal))
                errors.Add(new HelpError("EHG008", $"the title '# {top.Title}' must be the command name, '# {doc.Name}' (the file name).", file, top.Line));
            RejectText(top.Body, file, errors, "before the first '## SECTION'");

            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var s in top.Children)
            {
                if (!KnownSections.Contains(s.Title, StringComparer.Ordinal))
                {
                    errors.Add(new HelpError("EHG008", $"unknown section '## {s.Title}'. Sections are: {string.Join(", ", KnownSections.Select(k => "## " + k))} (upper case).", file, s.Line));
                    continue;
                }
                if (!seen.Add(s.Title))
                {
                    errors.Add(new HelpError("EHG008", $"section '## {s.Title}' appears twice.", file, s.Line));
                    continue;
                }
                switch (s.Title)
                {
                    case "SYNOPSIS":
                        NoSubsections(s, file, errors);
                        doc.Synopsis.AddRange(Paras(s.Body));
                        if (doc.Synopsis.Count != 1 || doc.Synopsis[0].Verbatim)
                            errors.Add(new HelpError("EHG005", "the SYNOPSIS must be one paragraph of text.", file, s.Line));
                        break;
                    case "DESCRIPTION":
                        NoSubsections(s, file, errors);
                        doc.Description.AddRange(Paras(s.Body));
                        if (doc.Description.Count == 0) errors.Add(new HelpError("EHG005", "the DESCRIPTION is empty.", file, s.Line));
                        break;
                    case "NOTES":
                        NoSubsections(s, file, errors);
                        doc.Notes.AddRange(Paras(s.Body));
                        break;
                    case "EXAMPLES":
                        RejectText(s.Body, file, errors, "directly under ## EXAMPLES (put it in an '### Example N: Title')");
                        ReadExamples(s, doc, file, errors);
                        break;
                    case "PARAMETERS":
                        doc.ParametersLine = s.Line;
                        doc.Parameters.AddRange(ReadParameters(s, file, errors));
                        break;
                    case "INPUTS":
                        doc.Inputs.AddRange(ReadTypes(s, file, errors));
                        break;
                    case "OUTPUTS":
                        doc.OutputsLine = s.Line;
                        doc.Outputs.AddRange(ReadTypes(s, file, errors));
                        break;
                    case "RELATED LINKS":
                        NoSubsections(s, file, errors);
                        doc.Links.AddRange(ReadLinks(s, file, errors));
                        if (doc.Links.Count == 0) errors.Add(new HelpError("EHG005", "RELATED LINKS lists no link (add at least '- [about_Engram](../about_Engram.md)').", file, s.Line));
                        break;
                }
            }
            foreach (var r in RequiredSections.Where(r => !seen.Contains(r)))
                errors.Add(new HelpError("EHG005", $"the section '## {r}' is missing.", file, top.Line));
            return doc;
        }

        /// <summary>docs/help/_shared-parameters.md: '## PARAMETERS' with '### -Name' sections any cmdlet may fall back on.</summary>
        public static List<ParameterDoc> ReadShared(string path, List<HelpError> errors)
        {
            var file = Path.GetFullPath(path);
            var root = Markdown.Parse(file);
            var top = root.Children.FirstOrDefault();
            var section = top?.Children.FirstOrDefault(c => c.Title == "PARAMETERS");
            if (top == null || section == null || top.Children.Count != 1)
            {
                errors.Add(new HelpError("EHG008", "expected '# <title>' with one section, '## PARAMETERS'.", file, 1));
                return new List<ParameterDoc>();
            }
            return ReadParameters(section, file, errors);
        }

        private static void ReadExamples(Section s, CommandDoc doc, string file, List<HelpError> errors)
        {
            foreach (var ex in s.Children)
            {
                var m = ExampleTitle.Match(ex.Title);
                if (!m.Success)
                {
                    errors.Add(new HelpError("EHG006", $"example heading '### {ex.Title}' must read '### Example N: Title'.", file, ex.Line));
                    continue;
                }
                if (int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) != doc.Examples.Count + 1)
                    errors.Add(new HelpError("EHG006", $"examples must be numbered 1, 2, 3…; expected Example {doc.Examples.Count + 1}.", file, ex.Line));
                NoSubsections(ex, file, errors);
                var blocks = Markdown.Blocks(ex.Body);
                if (blocks.Count == 0 || blocks[0].Kind != BlockKind.Code || !CodeLanguages.Contains(blocks[0].Language) || blocks[0].Text.Trim().Length == 0)
                {
                    errors.Add(new HelpError("EHG006", "an example must start with a ```powershell code block (then its explanation).", file, ex.Line));
                    continue;
                }
                var remarks = blocks.Skip(1).Select(ToPara).ToList();
                if (!remarks.Any(r => !r.Verbatim))
                    errors.Add(new HelpError("EHG006", "the example has no explanation after its code.", file, ex.Line));
                doc.Examples.Add(new ExampleDoc(m.Groups[2].Value.Trim(), blocks[0].Text, remarks, ex.Line));
            }
            if (doc.Examples.Count < 2)
                errors.Add(new HelpError("EHG006", $"at least two examples are required; found {doc.Examples.Count}.", file, s.Line));
        }

        private static List<ParameterDoc> ReadParameters(Section s, string file, List<HelpError> errors)
        {
            var result = new List<ParameterDoc>();
            RejectText(s.Body, file, errors, "directly under ## PARAMETERS (put it in a '### -Name' section)");
            foreach (var p in s.Children)
            {
                var m = ParameterTitle.Match(p.Title);
                if (!m.Success)
                {
                    errors.Add(new HelpError("EHG008", $"parameter heading '### {p.Title}' must read '### -ParameterName'.", file, p.Line));
                    continue;
                }
                NoSubsections(p, file, errors);
                var blocks = Markdown.Blocks(p.Body);
                if (blocks.Any(b => b.Kind == BlockKind.Code && (b.Language == "yaml" || b.Language == "yml")))
                    errors.Add(new HelpError("EHG008", $"-{m.Groups[1].Value}: remove the yaml block. Type, position, pipeline input, wildcards and aliases come from the compiled cmdlet; write description text only.", file, p.Line));
                var paras = blocks.Select(ToPara).ToList();
                if (paras.Count == 0)
                    errors.Add(new HelpError("EHG005", $"-{m.Groups[1].Value} has no description.", file, p.Line));
                if (result.Any(r => r.Name == m.Groups[1].Value))
                    errors.Add(new HelpError("EHG008", $"-{m.Groups[1].Value} is documented twice.", file, p.Line));
                result.Add(new ParameterDoc(m.Groups[1].Value, paras, p.Line, file));
            }
            return result;
        }

        private static List<TypeDoc> ReadTypes(Section s, string file, List<HelpError> errors)
        {
            RejectText(s.Body, file, errors, $"directly under ## {s.Title} (put it under a '### TypeName' heading, or '### None')");
            var result = new List<TypeDoc>();
            foreach (var t in s.Children)
            {
                NoSubsections(t, file, errors);
                var paras = Paras(t.Body);
                if (paras.Count == 0 && t.Title != "None")
                    errors.Add(new HelpError("EHG005", $"'### {t.Title}' under ## {s.Title} needs a sentence saying what it is.", file, t.Line));
                result.Add(new TypeDoc(t.Title, paras, t.Line));
            }
            if (result.Count == 0)
                errors.Add(new HelpError("EHG005", $"## {s.Title} needs at least one '### TypeName' (or '### None').", file, s.Line));
            return result;
        }

        private static List<LinkDoc> ReadLinks(Section s, string file, List<HelpError> errors)
        {
            var result = new List<LinkDoc>();
            foreach (var line in s.Body)
            {
                var t = line.Text.Trim();
                if (t.Length == 0) continue;
                if (!(t.StartsWith("- ", StringComparison.Ordinal) || t.StartsWith("* ", StringComparison.Ordinal)))
                {
                    errors.Add(new HelpError("EHG008", "RELATED LINKS holds a list: '- [Text](target)' or '- Text'.", file, line.Number));
                    continue;
                }
                var (text, uri) = Markdown.LinkParts(t.Substring(2));
                result.Add(new LinkDoc(text, uri != null && uri.StartsWith("http", StringComparison.OrdinalIgnoreCase) ? uri : null, line.Number));
            }
            return result;
        }

        public static List<Para> Paras(IReadOnlyList<SourceLine> body) => Markdown.Blocks(body).Select(ToPara).ToList();

        private static Para ToPara(Block b) => new Para(b.Text, b.Kind == BlockKind.Code || b.Kind == BlockKind.Table || b.Kind == BlockKind.List);

        private static void NoSubsections(Section s, string file, List<HelpError> errors)
        {
            foreach (var c in s.Children)
                errors.Add(new HelpError("EHG008", $"unexpected heading '{new string('#', c.Level)} {c.Title}' under '{s.Title}'.", file, c.Line));
        }

        private static void RejectText(IReadOnlyList<SourceLine> body, string file, List<HelpError> errors, string where)
        {
            var first = body.FirstOrDefault(l => l.Text.Trim().Length > 0 && !l.Text.TrimStart().StartsWith("<!--", StringComparison.Ordinal));
            if (first.Text != null)
                errors.Add(new HelpError("EHG008", $"text {where} would be lost.", file, first.Number));
        }
    }
}
