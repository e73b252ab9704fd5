# Agents: conditional writes, stale sources and Claude's memory tool, as a PowerShell agent loop uses them.
BeforeAll { . (Join-Path $PSScriptRoot 'TestSetup.ps1') }

Describe 'Set-EngramMemory -ExpectedVersion' -ForEach @(@{ Kind = 'File' }, @{ Kind = 'Sqlite' }) {
    BeforeEach { $store = New-TestStore -Kind $Kind }

    It 'writes only at the expected version (<Kind>)' {
        Set-EngramMemory -Store $store shared plan 'v1' -ExpectedVersion 0
        (Set-EngramMemory -Store $store shared plan 'v2' -ExpectedVersion 1 -PassThru).Version | Should -Be 2
        { Set-EngramMemory -Store $store shared plan 'lost' -ExpectedVersion 1 -ErrorAction Stop } |
            Should -Throw -ErrorId 'VersionConflict,Engram.PowerShell.Commands.SetEngramMemoryCommand'
        (Get-EngramMemory -Store $store shared plan).Value | Should -Be 'v2'
        @(Get-EngramProvenance -Store $store shared plan).Count | Should -Be 2
    }
}

Describe 'Stale sources' {
    BeforeEach { $store = New-TestStore }

    It 'Get-EngramMemory -Stale lists derived memories whose sources changed, and Get-EngramLineage marks them' {
        Set-EngramMemory -Store $store thinking obs 'day 2'
        Set-EngramMemory -Store $store longterm insight 'email on day 2' -DerivedFrom thinking/obs
        @(Get-EngramMemory -Store $store -Stale).Count | Should -Be 0
        Set-EngramMemory -Store $store thinking obs 'day 3'
        $stale = @(Get-EngramMemory -Store $store -Stale)
        $stale.Count | Should -Be 1
        $stale[0].Key | Should -Be 'insight'
        $stale[0].StaleSources[0].PinnedVersion | Should -Be 1
        $stale[0].StaleSources[0].CurrentVersion | Should -Be 2
        (Get-EngramLineage -Store $store longterm insight -Direction Up).Stale | Should -BeTrue
    }
}

Describe 'Invoke-EngramMemoryCommand' {
    BeforeEach { $store = New-TestStore }

    It 'backs the memory tool from tool-call input objects' {
        $calls = @(
            '{"command":"create","path":"/memories/projects/notes.md","file_text":"# Notes\nuser prefers tabs"}'
            '{"command":"str_replace","path":"/memories/projects/notes.md","old_str":"tabs","new_str":"spaces"}'
            '{"command":"view","path":"/memories/projects/notes.md","view_range":[2,-1]}'
        ) | ConvertFrom-Json
        $results = $calls | Invoke-EngramMemoryCommand -Store $store -Actor claude
        $results[2].Text | Should -Be "Here's the content of /memories/projects/notes.md with line numbers:`n     2`tuser prefers spaces`n"
        (Get-EngramProvenance -Store $store projects notes.md).Actor | Should -Be @('claude', 'claude')
    }

    It 'refuses paths outside /memories and traversal, changing nothing' {
        { @{ command = 'create'; path = '/memories/../etc/x'; file_text = 'x' } | Invoke-EngramMemoryCommand -Store $store -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidMemoryPath,Engram.PowerShell.Commands.InvokeEngramMemoryCommandCommand'
        { @{ command = 'view'; path = '/etc/passwd' } | Invoke-EngramMemoryCommand -Store $store -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidMemoryPath,Engram.PowerShell.Commands.InvokeEngramMemoryCommandCommand'
        Test-Path -LiteralPath $store | Should -BeFalse
    }
}
