# Writes OUTPUT, a C++ file defining `extern const char NAME[]` with the contents of INPUT.
file(READ "${INPUT}" content)
set(delim "openvpc_embed")
file(WRITE "${OUTPUT}" "extern const char ${NAME}[];\nconst char ${NAME}[] = R\"${delim}(${content})${delim}\";\n")
