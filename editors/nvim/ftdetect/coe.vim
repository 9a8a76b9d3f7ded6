" .coe files are coe configurations (works on Neovim 0.7, before vim.filetype.add)
autocmd BufRead,BufNewFile *.coe setfiletype coe
