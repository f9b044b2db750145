# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Bash completion for socket-snoop and its two faces, tcpsnoop and tcptop.
# make install puts it in share/bash-completion/completions/socket-snoop, with
# tcpsnoop and tcptop as links to it (bash-completion loads it by the name of
# the command being completed).
#
# Nothing is listed here: the options and their values are read, when a
# completion is asked for, from the usage of the binary being completed
# (socket-snoop --help; tcpsnoop or tcptop --help, else -h), which is
# generated from the option table (src/snoop/cli.c): this file cannot drift.
#   long options   every --NAME in the text, "--NAME=" when it takes a value;
#                  --help and --version also when the usage does not name them
#                  but the binary takes them (tcpsnoop, tcptop);
#   short options  "  -X, --NAME" lines (socket-snoop); the USAGE line's
#                  [-abc] and [-n name] groups and "  -X  # ..." lines (the
#                  faces);
#   values         an option's description without its (remarks), after its
#                  last ':', split at ',' and "or", when every piece is one
#                  word (--events, --state: "any case" matches any case,
#                  --attach); a long option's placeholder that is a word in
#                  lower case and an [OPTIONAL] part in capitals is that
#                  word written out, the rest left to the user
#                  (--metrics-labels=comm[:N]: "comm"; not tcpsnoop's
#                  "-n name", a name to give); a PATH value: files,
#                  or directories when the description says "directory"
#                  (--log-file, --netns, --cgroup); anything else (--metrics=
#                  ADDR:PORT, SIZE, N...) nothing.
# A LIST or [,...] value is a comma-separated list: the item after the last
# comma is completed, items already given are not offered again.
# The usage is read once per binary (path, size, modification time), for at
# most 2 seconds; a binary that hangs or prints something else gets no
# completion, never an error.

declare -gA _socket_snoop_usage_id=() _socket_snoop_usage_text=() _socket_snoop_usage_more=()

# The usage text of binary $1 into REPLY, and long options it takes that the
# text does not name into REPLY_MORE (--help when it printed the text with exit
# status 0, --version when that exits 0).  Fails when there is none.
_socket_snoop_usage()
{
	local bin=$1 id out rc more=""

	id=$(stat -L -c '%s:%Y' -- "$bin" 2>/dev/null) || return 1
	if [[ ${_socket_snoop_usage_id[$bin]-} == "$id" ]]; then
		REPLY=${_socket_snoop_usage_text[$bin]}
		REPLY_MORE=${_socket_snoop_usage_more[$bin]}
		[[ -n $REPLY ]]
		return
	fi
	# Bounded in time and size; NUL bytes dropped (bash would warn).
	out=$(LC_ALL=C timeout -k 1 2 "$bin" --help </dev/null 2>&1 |
		LC_ALL=C tr -d '\000' | head -c 65536
	exit "${PIPESTATUS[0]}")
	rc=$?
	if [[ $rc -eq 0 && -n $out ]]; then
		[[ $out == *--help* ]] || more+=" --help"
	elif [[ $rc -ne 124 && $rc -ne 137 ]]; then # not when it timed out
		out=$(LC_ALL=C timeout -k 1 2 "$bin" -h </dev/null 2>&1 |
			LC_ALL=C tr -d '\000' | head -c 65536)
	fi
	if [[ $rc -ne 124 && $rc -ne 137 && -n $out && $out != *--version* ]] &&
		LC_ALL=C timeout -k 1 2 "$bin" --version </dev/null >/dev/null 2>&1; then
		more+=" --version"
	fi
	_socket_snoop_usage_id[$bin]=$id
	_socket_snoop_usage_text[$bin]=$out
	_socket_snoop_usage_more[$bin]=$more
	REPLY=$out
	REPLY_MORE=$more
	[[ -n $REPLY ]]
}

# Read usage text $1 (and extra long options $2) into the caller's variables:
# longs (candidates), shorts (candidates), argkey (spelling of an option
# taking a value -> its key), place (key -> value placeholder), desc (key ->
# description).
_socket_snoop_parse()
{
	local text=$1 line key="" name letter g chars i rest
	local re_opt='^ {1,8}(-([[:alnum:]]),[[:space:]]+)?--([[:alnum:]][[:alnum:]_-]*)(=([^[:space:]]+))?([[:space:]]+(.*))?$'
	local re_cont='^ {8,}([^[:space:]].*)$'
	local re_usage='^[Uu][Ss][Aa][Gg][Ee]:[[:space:]]+[^[:space:]]+(.*)$'
	local re_group='\[(-[^][]*)\]'
	local re_valued='^-([[:alnum:]])[[:space:]]+([[:alpha:]]+)$'
	local re_listed='^[[:space:]]+-([[:alnum:]])([[:space:]]([[:alpha:]]+))?[[:space:]]+#'
	local re_long='(^|[^[:alnum:]_-])--([[:alnum:]][[:alnum:]_-]*)(=([^][:space:](),|]*))?'
	local -A seen=()

	while IFS= read -r line; do
		line=${line%$'\r'}
		if [[ $line =~ $re_opt ]]; then
			letter=${BASH_REMATCH[2]} key=${BASH_REMATCH[3]}
			[[ -n ${place[$key]+set} ]] || place[$key]=${BASH_REMATCH[5]}
			desc[$key]=${BASH_REMATCH[7]}
			if [[ -n $letter && -z ${seen[-$letter]-} ]]; then
				seen[-$letter]=1
				shorts+=("-$letter")
				[[ -z ${BASH_REMATCH[5]} ]] || argkey[-$letter]=$key
			fi
			[[ -z ${BASH_REMATCH[5]} ]] || argkey[--$key]=$key
			continue
		fi
		if [[ -n $key && $line =~ $re_cont ]]; then
			desc[$key]+=" ${BASH_REMATCH[1]}"
			continue
		fi
		key=""
		if [[ $line =~ $re_usage ]]; then
			rest=${BASH_REMATCH[1]}
			while [[ $rest =~ $re_group ]]; do
				g=${BASH_REMATCH[1]}
				rest=${rest#*"${BASH_REMATCH[0]}"}
				if [[ $g =~ $re_valued ]]; then
					letter=${BASH_REMATCH[1]}
					place[-$letter]=${BASH_REMATCH[2]}
					argkey[-$letter]=-$letter
					[[ -n ${seen[-$letter]-} ]] || shorts+=("-$letter")
					seen[-$letter]=1
					continue
				fi
				chars=${g//[-|]/}
				[[ $chars =~ ^[[:alnum:]]+$ ]] || continue
				for ((i = 0; i < ${#chars}; i++)); do
					letter=${chars:i:1}
					[[ -n ${seen[-$letter]-} ]] || shorts+=("-$letter")
					seen[-$letter]=1
				done
			done
		elif [[ $line =~ $re_listed ]]; then
			letter=${BASH_REMATCH[1]}
			[[ -n ${seen[-$letter]-} ]] || shorts+=("-$letter")
			seen[-$letter]=1
			if [[ -n ${BASH_REMATCH[3]} ]]; then
				place[-$letter]=${BASH_REMATCH[3]}
				argkey[-$letter]=-$letter
			fi
		fi
	done <<<"$text"

	# Every --NAME of the text (the aliases' paragraph too), in order; the
	# extra ones only when the text was understood as a usage.
	rest=$text
	[[ ${#shorts[@]} -eq 0 && $text != *--* ]] || rest+=" $2"
	while [[ $rest =~ $re_long ]]; do
		name=${BASH_REMATCH[2]}
		rest=${rest#*"${BASH_REMATCH[0]}"}
		if [[ -n ${BASH_REMATCH[3]} ]]; then
			[[ -n ${place[$name]-} ]] || place[$name]=${BASH_REMATCH[4]:-VALUE}
			argkey[--$name]=$name
		fi
		[[ -z ${seen[--$name]-} ]] || continue
		seen[--$name]=1
		longs+=("--$name")
	done
	for i in "${!longs[@]}"; do
		[[ -z ${argkey[${longs[i]}]-} ]] || longs[i]+="="
	done
}

# The values of option $key into the caller's vals (words), multi (a list)
# and icase (any case); kind: "words", "files", "dirs" or "".
_socket_snoop_values()
{
	local p=${place[$key]-} d=${desc[$key]-} item re_paren='\([^()]*\)'
	local re_literal='^([a-z][a-z0-9_]*)\[[^]A-Z]*[A-Z][^]]*\]$'
	local -a items

	kind="" vals=() multi="" icase=""
	[[ $p == *LIST* || $p == *,...* ]] && multi=1
	[[ $d == *"any case"* ]] && icase=1
	while [[ $d =~ $re_paren ]]; do
		d=${d/"${BASH_REMATCH[0]}"/ }
	done
	[[ $d == *:* ]] && d=${d##*:}
	d=${d//[[:space:]]or[[:space:]]/,}
	IFS=, read -ra items <<<"$d"
	for item in "${items[@]}"; do
		item=${item#"${item%%[![:space:]]*}"}
		item=${item%"${item##*[![:space:]]}"}
		[[ -z $item ]] && continue
		if [[ ! $item =~ ^[[:alnum:]_]+$ ]]; then
			vals=()
			break
		fi
		vals+=("$item")
	done
	if [[ ${#vals[@]} -ge 2 ]]; then
		kind=words
	elif [[ $key != -* && $p =~ $re_literal ]]; then
		vals=("${BASH_REMATCH[1]}")
		kind=words
	elif [[ ${p^^} == *PATH* ]]; then
		vals=()
		kind=files
		[[ ${desc[$key]-} == *director* ]] && kind=dirs
	else
		vals=()
	fi
}

_socket_snoop()
{
	local cur="" prev="" words=() cword=0 split=false
	if declare -F _init_completion >/dev/null; then
		_init_completion -s || return
	else
		# Without bash-completion: '=' is a word of its own (COMP_WORDBREAKS).
		words=("${COMP_WORDS[@]}") cword=$COMP_CWORD
		cur=${words[cword]-} prev=${words[cword - 1]-}
		if [[ $cur == "=" && $prev == --* ]]; then
			cur="" split=true
		elif [[ $prev == "=" && $cword -ge 2 ]]; then
			prev=${words[cword - 2]} split=true
		fi
	fi

	local bin=${words[0]-} REPLY REPLY_MORE i
	[[ $bin == "~"* ]] && bin=$HOME${bin#"~"}
	if [[ $bin != */* ]]; then
		bin=$(PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin type -P -- "$bin") || return 0
	fi
	[[ -x $bin && -f $bin ]] || return 0
	_socket_snoop_usage "$bin" || return 0

	local -a longs=() shorts=()
	local -A argkey=() place=() desc=()
	_socket_snoop_parse "$REPLY" "$REPLY_MORE"

	# After "--" there are no options (and no operand takes a completion).
	for ((i = 1; i < cword; i++)); do
		[[ ${words[i]} == -- ]] && return 0
	done

	# A value: "--opt=V", "--opt V", "-o V", "-qo V" (a cluster ending in -o).
	local key=""
	[[ -z $prev ]] || key=${argkey[$prev]-}
	if [[ -z $key && $split == false && $prev =~ ^-([[:alnum:]]+)$ ]]; then
		local cluster=${BASH_REMATCH[1]}
		key=${argkey[-${cluster: -1}]-}
		for ((i = 0; i < ${#cluster} - 1; i++)); do
			[[ -z ${argkey[-${cluster:i:1}]-} ]] || key=""
		done
	fi
	if [[ -n $key ]]; then
		local kind multi icase v done_items="," prefix="" item=$cur
		local -a vals
		_socket_snoop_values
		case $kind in
		words)
			if [[ -n $multi ]]; then
				item=${cur##*,}
				prefix=${cur%"$item"}
				done_items=",$prefix"
			fi
			[[ -n $icase ]] && done_items=${done_items^^}
			for v in "${vals[@]}"; do
				if [[ -n $icase ]]; then
					[[ ${v^^} == "${item^^}"* && $done_items != *",${v^^},"* ]] || continue
				else
					[[ $v == "$item"* && $done_items != *",$v,"* ]] || continue
				fi
				COMPREPLY+=("$prefix$v")
			done
			[[ -z $multi || ${#COMPREPLY[@]} -eq 0 ]] || compopt -o nospace 2>/dev/null
			;;
		files | dirs)
			local dflag=""
			[[ $kind == dirs ]] && dflag=-d
			if declare -F _filedir >/dev/null; then
				_filedir ${dflag:+"$dflag"}
			else
				compopt -o filenames 2>/dev/null
				mapfile -t COMPREPLY < <(compgen "${dflag:--f}" -- "$cur")
			fi
			;;
		esac
		return 0
	fi
	[[ $split == true ]] && return 0

	if [[ $cur == -* ]]; then
		local c
		local -a cands=("${longs[@]}")
		[[ $cur == --* ]] || cands+=("${shorts[@]}")
		for c in "${cands[@]}"; do
			[[ $c == "$cur"* ]] && COMPREPLY+=("$c")
		done
		[[ ${#COMPREPLY[@]} -ne 1 || ${COMPREPLY[0]} != *= ]] || compopt -o nospace 2>/dev/null
	fi
	return 0
} &&
	complete -F _socket_snoop socket-snoop tcpsnoop tcptop
