// NeatMS
