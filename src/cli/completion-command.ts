/**
 * `junction completion bash|zsh|fish`: a completion script for the shell, generated from the same
 * table the parser reads (cli-spec.ts), so a new command or option completes as soon as it exists.
 * Completes commands, each command's options, ctl's subcommands and their actions, shells after
 * `completion`, `auto` after `--workers`, and file names after `-c`/`--config`.
 */
import {
  COMMAND_OPTIONS,
  COMMANDS,
  CTL_ACTIONS,
  CTL_COMMANDS,
  SHELLS,
  flagsOf,
  type CommandName,
  type Shell,
} from './cli-spec.ts';

/** What each command does, in a few words (fish shows them beside the candidates). */
const SUMMARY: Readonly<Record<CommandName, string>> = {
  run: 'Run Junction with a config file',
  check: 'Validate a config file',
  explain: 'What a config does with one request, sent nowhere',
  preview: 'The requests a new config would handle differently',
  ctl: "Talk to a running Junction's admin API",
  schema: "Print the config's JSON Schema",
  completion: 'Print a shell completion script',
  version: 'Show the version',
  help: 'Show help',
};

/** Options that take a value: the word after one is that value, not a subcommand. */
function valueFlags(): string[] {
  const names = new Set<string>();
  for (const options of Object.values(COMMAND_OPTIONS)) {
    for (const [name, option] of Object.entries(options)) {
      if (option.type !== 'string') continue;
      names.add(`--${name}`);
      if (option.short !== undefined) names.add(`-${option.short}`);
    }
  }
  return [...names];
}

const words = (list: readonly string[]): string => list.join(' ');

function bash(): string {
  const perCommand = COMMANDS.map((command) => {
    const positional = command === 'completion' ? words(SHELLS) : command === 'help' ? words(COMMANDS) : '';
    return `    ${command}) opts="${words(flagsOf(COMMAND_OPTIONS[command]))}"; positional="${positional}" ;;`;
  }).join('\n');
  const actions = Object.entries(CTL_ACTIONS)
    .map(([command, list]) => `        ${command}) positional="${words(list)}" ;;`)
    .join('\n');
  return `# junction completion for bash. Load it with:  source <(junction completion bash)
_junction() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}"
  COMPREPLY=()
  if [[ $COMP_CWORD -eq 1 ]]; then
    COMPREPLY=($(compgen -W "${words(COMMANDS)} --help --version" -- "$cur"))
    return
  fi
  case "$prev" in
    -c|--config) COMPREPLY=($(compgen -f -- "$cur")); compopt -o filenames 2>/dev/null; return ;;
    --workers) COMPREPLY=($(compgen -W "auto" -- "$cur")); return ;;
    ${valueFlags().join('|')}) return ;;
  esac
  local opts="" positional=""
  case "\${COMP_WORDS[1]}" in
${perCommand}
  esac
  if [[ "\${COMP_WORDS[1]}" == ctl ]]; then
    # The subcommand and its action are the first words after ctl that are not options or their values.
    local -a args=()
    local i word
    for ((i = 2; i < COMP_CWORD; i++)); do
      word="\${COMP_WORDS[i]}"
      case "$word" in
        ${valueFlags().join('|')}) ((i++)) ;;
        -*) ;;
        *) args+=("$word") ;;
      esac
    done
    positional=""
    if [[ \${#args[@]} -eq 0 ]]; then
      positional="${words(CTL_COMMANDS)}"
    elif [[ \${#args[@]} -eq 1 ]]; then
      case "\${args[0]}" in
${actions}
      esac
    fi
  elif [[ -n "$positional" && $COMP_CWORD -gt 2 ]]; then
    positional=""
  fi
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$positional" -- "$cur"))
  fi
}
complete -F _junction junction
`;
}

function zsh(): string {
  const perCommand = COMMANDS.map((command) => {
    const positional = command === 'completion' ? words(SHELLS) : command === 'help' ? words(COMMANDS) : '';
    return `    ${command}) opts=(${words(flagsOf(COMMAND_OPTIONS[command]))}); positional=(${positional}) ;;`;
  }).join('\n');
  const actions = Object.entries(CTL_ACTIONS)
    .map(([command, list]) => `        ${command}) positional=(${words(list)}) ;;`)
    .join('\n');
  return `#compdef junction
# junction completion for zsh. Load it with:  source <(junction completion zsh)   (after compinit)
# or save it as _junction in a directory of your $fpath.
_junction() {
  local cur=\${words[CURRENT]} prev=\${words[CURRENT-1]}
  local -a opts positional
  if (( CURRENT == 2 )); then
    compadd -- ${words(COMMANDS)} --help --version
    return
  fi
  case $prev in
    -c|--config) _files; return ;;
    --workers) compadd -- auto; return ;;
    ${valueFlags().join('|')}) return ;;
  esac
  case \${words[2]} in
${perCommand}
  esac
  if [[ \${words[2]} == ctl ]]; then
    local -a args
    local i
    for (( i = 3; i < CURRENT; i++ )); do
      case \${words[i]} in
        ${valueFlags().join('|')}) (( i++ )) ;;
        -*) ;;
        *) args+=(\${words[i]}) ;;
      esac
    done
    positional=()
    if (( \${#args} == 0 )); then
      positional=(${words(CTL_COMMANDS)})
    elif (( \${#args} == 1 )); then
      case \${args[1]} in
${actions}
      esac
    fi
  elif (( CURRENT > 3 )); then
    positional=()
  fi
  if [[ $cur == -* ]]; then
    compadd -- $opts
  else
    compadd -- $positional
  fi
}
if [[ "\${funcstack[1]}" == _junction ]]; then
  _junction "$@"
else
  compdef _junction junction
fi
`;
}

/** fish quotes: single quotes, with \\ and ' escaped. */
const fishQuote = (text: string): string => `'${text.replace(/[\\']/g, (c) => `\\${c}`)}'`;

function fish(): string {
  const lines = [
    '# junction completion for fish. Save it with:',
    '#   junction completion fish > ~/.config/fish/completions/junction.fish',
    'complete -c junction -f',
    `complete -c junction -n __fish_use_subcommand -s h -l help -d ${fishQuote('Show help')}`,
    `complete -c junction -n __fish_use_subcommand -s v -l version -d ${fishQuote('Show the version')}`,
  ];
  for (const command of COMMANDS) {
    lines.push(
      `complete -c junction -n __fish_use_subcommand -a ${command} -d ${fishQuote(SUMMARY[command])}`,
    );
  }
  for (const command of COMMANDS) {
    const when = `'__fish_seen_subcommand_from ${command}'`;
    for (const [name, option] of Object.entries(COMMAND_OPTIONS[command])) {
      const short = option.short === undefined ? '' : ` -s ${option.short}`;
      const value =
        option.type !== 'string'
          ? ''
          : name === 'config'
            ? ' -r -F'
            : name === 'workers'
              ? " -x -a 'auto'"
              : ' -x';
      lines.push(`complete -c junction -n ${when}${short} -l ${name}${value}`);
    }
  }
  lines.push(`complete -c junction -n '__fish_seen_subcommand_from completion' -a '${words(SHELLS)}'`);
  lines.push(`complete -c junction -n '__fish_seen_subcommand_from help' -a '${words(COMMANDS)}'`);
  lines.push(
    `complete -c junction -n '__fish_seen_subcommand_from ctl; and not __fish_seen_subcommand_from ${words(CTL_COMMANDS)}' -a '${words(CTL_COMMANDS)}'`,
  );
  for (const [command, list] of Object.entries(CTL_ACTIONS)) {
    lines.push(
      `complete -c junction -n '__fish_seen_subcommand_from ctl; and __fish_seen_subcommand_from ${command}; and not __fish_seen_subcommand_from ${words(list)}' -a '${words(list)}'`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export function completionScript(shell: Shell): string {
  switch (shell) {
    case 'bash':
      return bash();
    case 'zsh':
      return zsh();
    case 'fish':
      return fish();
  }
}
